// `npm run web`: Towerflow in any browser. Builds the UI once if it is not built yet, then serves the
// app on 127.0.0.1 (the URL with its access token is printed, and opened in the default browser where
// there is one). Extra arguments go to `towerflow serve`.
import { runWebMode } from './web-mode.mjs';

runWebMode(process.argv.slice(2));
