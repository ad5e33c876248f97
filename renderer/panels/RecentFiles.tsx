import { useEffect, useRef, useState } from 'react';
import type { RecentFile } from '../../app/host/contract';
import { openDocument } from '../state/document-actions';
import { refreshRecent, useRecent } from '../state/recent-store';

/**
 * Recently opened and saved models: a list on the start screen and the toolbar's Recent menu.
 * Both open a file the way Open does (asking first about unsaved changes). A file that is no longer
 * there stays listed, greyed, so the user sees what became of it, but cannot be opened.
 */

/** The start screen's list; nothing at all until there is a recent file. */
export function RecentList() {
  const files = useRecent((s) => s.files);
  useEffect(() => void refreshRecent(), []);
  if (!files?.length) return null;
  return (
    <section className="recent-section" data-testid="recent-list">
      <h3>Recent</h3>
      <RecentEntries files={files} onOpen={(path) => void openDocument(path)} />
    </section>
  );
}

/** The toolbar's Recent button and its drop-down. */
export function RecentMenu() {
  const [open, setOpen] = useState(false);
  const files = useRecent((s) => s.files);
  const error = useRecent((s) => s.error);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    // Read again each time it opens: a file may have been saved elsewhere, or deleted, since.
    void refreshRecent();
    const onPointer = (e: MouseEvent) => !root.current?.contains(e.target as Node) && setOpen(false);
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    window.addEventListener('mousedown', onPointer);
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('mousedown', onPointer);
      window.removeEventListener('keydown', onKey);
    };
  }, [open]);
  return (
    <div className="dropdown" ref={root}>
      <button
        type="button"
        className="tool-btn"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        title="Open a recently used model"
        data-testid="cmd-recent"
      >
        Recent ▾
      </button>
      {open && (
        <div className="dropdown-menu" role="menu" aria-label="Recent models" data-testid="recent-menu">
          {error && <p className="recent-empty">{error}</p>}
          {!error && files?.length === 0 && <p className="recent-empty">No recent models yet: the ones you open or save show here.</p>}
          {!error && !files && <p className="recent-empty">Loading…</p>}
          {files && files.length > 0 && (
            <RecentEntries
              files={files}
              role="menuitem"
              onOpen={(path) => {
                setOpen(false);
                void openDocument(path);
              }}
            />
          )}
        </div>
      )}
    </div>
  );
}

function RecentEntries({ files, onOpen, role }: { files: readonly RecentFile[]; onOpen(path: string): void; role?: 'menuitem' }) {
  return (
    <ul className="recent-entries">
      {files.map((file) => (
        <li key={file.path}>
          {/* aria-disabled rather than disabled: a disabled button shows no tooltip in every browser, and the tooltip says why. */}
          <button
            type="button"
            role={role}
            className="recent-entry"
            aria-disabled={!file.exists}
            title={file.exists ? `Open ${file.path}` : `${file.path} no longer exists`}
            onClick={() => file.exists && onOpen(file.path)}
            data-testid="recent-file"
            data-path={file.path}
          >
            <span className="recent-name">{file.name}</span>
            {!file.exists && <span className="recent-gone">missing</span>}
            <span className="recent-dir">{folderOf(file.path)}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

const folderOf = (path: string): string => path.replace(/[\\/][^\\/]*$/, '') || path;
