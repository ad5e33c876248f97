import { useUi } from '../state/ui-store';
import { Modal } from './Modal';

export function ConfirmDialog() {
  const request = useUi((s) => s.confirmDialog);
  const close = useUi((s) => s.closeConfirm);
  if (!request) return null;
  return (
    <Modal title={request.title} onClose={() => close(false)} testId="confirm-dialog">
      <p>{request.message}</p>
      <div className="button-row end">
        <button type="button" className="btn" onClick={() => close(false)}>
          Cancel
        </button>
        <button type="button" className="btn btn-primary" onClick={() => close(true)} autoFocus data-testid="confirm-ok">
          {request.confirm}
        </button>
      </div>
    </Modal>
  );
}
