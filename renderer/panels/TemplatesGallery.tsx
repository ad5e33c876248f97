import { useEffect, useState } from 'react';
import { callHost } from '../api/host';
import type { TemplateInfo } from '../api/responses';
import { newDocument, openDocument, openTemplate } from '../state/document-actions';
import { useUi } from '../state/ui-store';
import { Modal } from './Modal';
import { Prose } from './Prose';
import { RecentList } from './RecentFiles';

/**
 * Start screen and File ▸ Templates: the seven architectures, each with its one-line description,
 * and the models opened or saved lately.
 */
export function TemplatesGallery() {
  const open = useUi((s) => s.templatesOpen);
  const show = useUi((s) => s.showTemplates);
  const [templates, setTemplates] = useState<TemplateInfo[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!open || templates) return;
    void callHost('templates:list', {}).then((r) => (r.ok ? setTemplates(r.value.templates) : setError(r.error.message)));
  }, [open, templates]);
  if (!open) return null;
  return (
    <Modal title="Start from a template" onClose={() => show(false)} wide testId="templates">
      <RecentList />
      {error && <p className="issue issue-error">{error}</p>}
      <div className="template-grid">
        {templates?.map((t) => (
          <button key={t.id} type="button" className="template-card" onClick={() => void openTemplate(t.id)} data-testid={`template-${t.id}`}>
            <span className="template-name">{t.name}</span>
            <span className="template-desc">
              <Prose text={t.description ?? ''} />
            </span>
          </button>
        ))}
        {!templates && !error && <p className="panel-desc">Loading templates…</p>}
      </div>
      <div className="button-row">
        <button type="button" className="btn" onClick={() => void newDocument()} data-testid="template-empty">
          Empty canvas
        </button>
        <button type="button" className="btn" onClick={() => void openDocument()}>
          Open a model file…
        </button>
      </div>
    </Modal>
  );
}
