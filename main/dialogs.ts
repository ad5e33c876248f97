import { dialog, type BrowserWindow, type OpenDialogOptions, type SaveDialogOptions } from 'electron';
import type { HostDialogs } from '../app/host/handlers';

/** Native file dialogs for the host handlers (web mode has none: it browses with files:list). */
export function electronDialogs(window: () => BrowserWindow | undefined): HostDialogs {
  const open = async (options: OpenDialogOptions) => {
    const win = window();
    const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return result.canceled ? undefined : result.filePaths[0];
  };
  const save = async (options: SaveDialogOptions) => {
    const win = window();
    const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    return result.canceled ? undefined : result.filePath;
  };
  const graphs = [{ name: 'Towerflow graph', extensions: ['json'] }];
  return {
    openGraph: (defaultPath) => open({ title: 'Open graph', defaultPath, properties: ['openFile'], filters: graphs }),
    // The host takes a path chosen here as confirmed (graph:save's overwrite), so the dialog must ask
    // before replacing a file: macOS and Windows always do, Linux only with showOverwriteConfirmation.
    saveGraph: (defaultPath) => save({ title: 'Save graph', defaultPath, filters: graphs, properties: ['showOverwriteConfirmation', 'createDirectory'] }),
    saveCode: (defaultPath) =>
      save({ title: 'Save generated code', defaultPath, filters: [{ name: 'TypeScript', extensions: ['ts'] }], properties: ['showOverwriteConfirmation', 'createDirectory'] }),
    pickFile: (purpose, defaultPath) =>
      open({
        title: purpose === 'data' ? 'Choose a data file' : purpose === 'binding' ? 'Choose a dataset binding' : 'Choose a graph',
        defaultPath,
        properties: ['openFile'],
        filters: purpose === 'data' ? [{ name: 'Tables', extensions: ['csv', 'tsv', 'txt', 'gz', 'parquet'] }, { name: 'All files', extensions: ['*'] }] : [{ name: 'JSON', extensions: ['json'] }],
      }),
    pickFolder: (purpose, defaultPath) =>
      open({ title: purpose === 'torch' ? 'Export to PyTorch: choose a folder for the package' : 'Export the trained model to…', defaultPath, properties: ['openDirectory', 'createDirectory'] }),
  };
}
