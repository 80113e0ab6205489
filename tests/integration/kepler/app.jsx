// kepler.gl's app for tests/integration/test_kepler_app.py: its KeplerGl component in a
// redux store, as an application embedding kepler.gl mounts it (build.mjs bundles it).
// No basemap (nothing may download); no Mapbox token. The test uploads the file through
// the app's own "Add Data" dialog, then makes the time filter with the actions the filter
// panel dispatches; window.kepler gives it the store and those action creators.
import React from 'react';
import {createRoot} from 'react-dom/client';
import {Provider} from 'react-redux';
import {applyMiddleware, combineReducers, createStore} from 'redux';
import {WebMercatorViewport} from '@math.gl/web-mercator';
import {addFilter, setFilter, toggleSidePanel, updateMap, wrapTo} from '@kepler.gl/actions';
import KeplerGl from '@kepler.gl/components';
import {KEPLER_GL_VERSION, NO_MAP_ID} from '@kepler.gl/constants';
import keplerGlReducer, {enhanceReduxMiddleware} from '@kepler.gl/reducers';

const store = createStore(
  combineReducers({keplerGl: keplerGlReducer.initialState({mapStyle: {styleType: NO_MAP_ID}})}),
  {},
  applyMiddleware(...enhanceReduxMiddleware([]))
);
window.kepler = {
  version: KEPLER_GL_VERSION,
  store,
  dispatch: action => store.dispatch(wrapTo('map', action)),
  state: () => store.getState().keplerGl.map,
  actions: {addFilter, setFilter, toggleSidePanel, updateMap},
  WebMercatorViewport
};

createRoot(document.getElementById('app')).render(
  <Provider store={store}>
    <KeplerGl id="map" width={1000} height={700} mapboxApiAccessToken="" />
  </Provider>
);
