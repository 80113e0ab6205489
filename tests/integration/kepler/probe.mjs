// kepler.gl's own code on a GeoJSON file: which rows its time filter lets through.
//
// Reads a JSON request on stdin:
//   {"path": file, "start": field, "end": field or null, "windows": [[t0, t1], ...]}
// (t0, t1 in ms since 1970 UTC), and prints one JSON answer on stdout.
//
// The file goes through the steps kepler.gl's app takes when a file is dropped on it:
// processFileData (@kepler.gl/processors) types the fields, addDataToMap makes the
// dataset and its layer in kepler.gl's redux store (reducers + task middleware). The
// filter is then made with the actions the filter panel dispatches: addFilter, then
// setFilter 'name' (the field), 'endName' (the "End time" field) and 'value' (the
// window, as the time slider sets it). For each window the answer holds the rows that
// pass on both of kepler.gl's paths:
//   cpu: dataset.filterTableCPU, what kepler.gl counts and exports as filtered;
//   gpu: what the map draws. Time filters run on the GPU (deck.gl's DataFilterExtension,
//        float32): the values kepler.gl hands it (gpuFilter.filterValueAccessor and
//        filterRange, shifted by the filter's domain start) are rounded to float32 and
//        put through the shader's test, step(min, v) * step(v, max) on every channel.
//        The shader itself does not run here (no WebGL in Node).
import fs from 'node:fs';

import {addDataToMap, addFilter, registerEntry, setFilter, wrapTo} from '@kepler.gl/actions';
import {KEPLER_GL_VERSION} from '@kepler.gl/constants';
import {processFileData} from '@kepler.gl/processors';
import keplerGlReducer, {enhanceReduxMiddleware} from '@kepler.gl/reducers';
import {applyMiddleware, combineReducers, createStore} from 'redux';

const request = JSON.parse(fs.readFileSync(0, 'utf8'));
const ID = 'map';
const store = createStore(
  combineReducers({keplerGl: keplerGlReducer}),
  {},
  applyMiddleware(...enhanceReduxMiddleware([]))
);
store.dispatch(registerEntry({id: ID}));
const dispatch = action => store.dispatch(wrapTo(ID, action));
const vis = () => store.getState().keplerGl[ID].visState;

const content = {fileName: request.path.split('/').pop(), data: JSON.parse(fs.readFileSync(request.path, 'utf8'))};
const processed = await processFileData({content, fileCache: []});
dispatch(addDataToMap({datasets: processed.map(p => ({info: p.info, data: p.data}))}));
// addDataToMap makes the dataset in a task the middleware runs asynchronously.
for (let i = 0; i < 500 && Object.keys(vis().datasets).length === 0; i++) {
  await new Promise(resolve => setTimeout(resolve, 10));
}
const dataId = Object.keys(vis().datasets)[0];
if (!dataId) throw new Error(`kepler.gl made no dataset from ${request.path}`);

dispatch(addFilter(dataId));
dispatch(setFilter(0, 'name', request.start));
if (request.end) dispatch(setFilter(0, 'endName', request.end));
const made = vis().filters[0];
const answer = {
  kepler_version: KEPLER_GL_VERSION,
  rows: vis().datasets[dataId].dataContainer.numRows(),
  fields: Object.fromEntries(vis().datasets[dataId].fields.map(f => [f.name, f.type])),
  layers: vis().layers.map(layer => layer.type),
  filter: {
    type: made.type,
    name: made.name,
    endName: made.endName ?? null,
    gpu: made.gpu,
    domain: made.domain
  },
  windows: []
};
const f32 = Math.fround;
for (const window of made.type === 'timeRange' ? request.windows : []) {
  dispatch(setFilter(0, 'value', window));
  const {filters, layers} = vis();
  const dataset = vis().datasets[dataId];
  dataset.filterTableCPU(filters, layers);
  const {filterRange, filterValueAccessor} = dataset.gpuFilter;
  const valuesOf = filterValueAccessor(dataset.dataContainer)();
  const gpu = [];
  for (const index of dataset.filteredIndex) {
    const values = valuesOf({index});
    const inside = values.every(
      (v, k) => f32(v) >= f32(filterRange[k][0]) && f32(v) <= f32(filterRange[k][1])
    );
    if (inside) gpu.push(index);
  }
  answer.windows.push({value: filters[0].value, cpu: Array.from(dataset.filteredIdxCPU), gpu});
}
process.stdout.write(JSON.stringify(answer));
