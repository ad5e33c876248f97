import * as tf from '@tensorflow/tfjs';

// Tests know which backend they run on; tfjs's "install tfjs-node" banner is only noise here.
// (PROD only silences tfjs's console messages; IS_TEST would also turn on kernel leak checks that
// misfire on the wasm backend.)
tf.env().set('PROD', true);
