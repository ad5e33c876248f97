import * as tf from '@tensorflow/tfjs';

// Tests know which backend they run on; tfjs's "install tfjs-node" banner is only noise here.
tf.env().set('IS_TEST', true);
