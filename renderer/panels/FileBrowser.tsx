import { useCallback, useEffect, useState } from 'react';
import { callHost } from '../api/host';
import type { FileEntry, FilesListing } from '../api/responses';
import { useUi } from '../state/ui-store';
import { Modal } from './Modal';

const SAVE_MODES = new Set(['save-graph', 'save-code', 'export-run']);

/**
 * Web mode's file dialog over the host's `files:list` (the workspace only: the host refuses any
 * path outside it, and the refusal is shown here). A path may also be typed directly.
 */
export function FileBrowser() {
  const request = useUi((s) => s.fileDialog);
  const close = useUi((s) => s.closeFileDialog);
  const [listing, setListing] = useState<FilesListing>();
  const [error, setError] = useState<string>();
  const [name, setName] = useState('');
  const [typed, setTyped] = useState('');
  const saving = request ? SAVE_MODES.has(request.mode) : false;

  const list = useCallback(async (dir?: string) => {
    const result = await callHost('files:list', dir ? { dir } : {});
    if (!result.ok) return setError(result.error.message);
    setError(undefined);
    setListing(result.value);
  }, []);

  /** A typed path: a folder is listed, a file is opened (as if clicked in its folder). */
  const go = async (path: string) => {
    const result = await callHost('files:list', { dir: path });
    if (result.ok) {
      setError(undefined);
      return setListing(result.value);
    }
    const file = await fileAt(path);
    if (!file) return setError(result.error.message);
    setError(undefined);
    if (saving) setName(file.name);
    else close(file.path);
  };

  useEffect(() => {
    if (!request) return;
    setName(request.suggestedName ?? '');
    setTyped('');
    void list();
  }, [request, list]);

  if (!request) return null;
  const join = (dir: string, file: string) => (dir === '' || dir === '.' ? file : `${dir.replace(/[\\/]+$/, '')}/${file}`);
  const matches = (file: string) => !request.extensions || request.extensions.some((ext) => file.toLowerCase().endsWith(ext) || file.toLowerCase().endsWith(`${ext}.gz`));
  const entries = [...(listing?.entries ?? [])].sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));

  const goTo = (path: string) => {
    if (!path.trim()) return;
    void go(path.trim());
  };

  return (
    <Modal title={request.title} onClose={() => close(undefined)} wide testId="file-dialog">
      <div className="file-path-row">
        <button type="button" className="btn btn-small" disabled={listing?.parent === undefined} onClick={() => listing?.parent !== undefined && void list(listing.parent)} aria-label="Up one folder">
          ↑
        </button>
        <code className="file-dir" data-testid="file-dir">{listing?.dir || '(workspace)'}</code>
      </div>
      {error && (
        <p className="issue issue-error" data-testid="file-error">
          {error}
        </p>
      )}
      <ul className="file-list" data-testid="file-list">
        {entries.map((entry) => (
          <li key={entry.path}>
            <button
              type="button"
              className={`file-entry file-${entry.kind} ${entry.kind === 'file' && !matches(entry.name) ? 'dim' : ''}`}
              onClick={() => (entry.kind === 'dir' ? void list(entry.path) : saving ? setName(entry.name) : close(entry.path))}
              data-testid={`file-${entry.name}`}
            >
              <span className="file-icon">{entry.kind === 'dir' ? '▸' : '·'}</span>
              <span>{entry.name}</span>
              {entry.size !== undefined && <span className="file-size">{formatBytes(entry.size)}</span>}
            </button>
          </li>
        ))}
        {listing && entries.length === 0 && <li className="panel-desc">This folder is empty.</li>}
      </ul>
      {saving ? (
        <form
          className="file-save-row"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) close(join(listing?.dir ?? '', name.trim()));
          }}
        >
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="file name" aria-label="File name" data-testid="file-name" autoFocus />
          <button type="submit" className="btn btn-primary" data-testid="file-save">
            Save
          </button>
        </form>
      ) : (
        <form
          className="file-save-row"
          onSubmit={(e) => {
            e.preventDefault();
            goTo(typed);
          }}
        >
          <input type="text" value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="or type a path…" aria-label="Path" data-testid="file-typed" />
          <button type="submit" className="btn" data-testid="file-go">
            Go
          </button>
          <button type="button" className="btn btn-primary" disabled={!typed.trim()} onClick={() => close(typed.trim())} data-testid="file-open-typed">
            Open
          </button>
        </form>
      )}
    </Modal>
  );
}

/** The file at `path` as its folder lists it; undefined when there is none (or it is a folder). */
async function fileAt(path: string): Promise<FileEntry | undefined> {
  const cut = path.replace(/[\\/]+$/, '').search(/[^\\/]*$/);
  const name = path.slice(cut).replace(/[\\/]+$/, '');
  const dir = path.slice(0, cut).replace(/(.)[\\/]+$/, '$1');
  if (!name) return undefined;
  const parent = await callHost('files:list', dir ? { dir } : {});
  return parent.ok ? parent.value.entries.find((e) => e.kind === 'file' && e.name === name) : undefined;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
