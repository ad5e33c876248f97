import type { HostEvents, MenuCommand } from '../../app/host/contract';
import { onHostEvent } from '../api/host';
import { canvasHas, isTextEntry, runAction } from '../use-shortcuts';
import { openDocument } from './document-actions';
import { useUi } from './ui-store';

/**
 * The desktop menu's commands (main/menu.ts), run as the toolbar and the shortcuts run them. A menu
 * item works on what has focus, as the same key would: Undo in a text field undoes the typing,
 * not the graph; Duplicate there does nothing.
 */
export function runMenuCommand(command: MenuCommand, focused: Element | null = document.activeElement): void {
  const ui = useUi.getState();
  switch (command.type) {
    case 'toggle-theme':
      return ui.setTheme(ui.theme === 'dark' ? 'light' : 'dark');
    case 'new':
    case 'open':
    case 'save':
    case 'save-as':
    case 'templates':
      // Not over a dialog that waits for an answer (the templates gallery is a start screen, not one).
      if (ui.fileDialog || ui.confirmDialog) return;
      if (command.type === 'open') return void openDocument(command.path);
      if (command.type === 'templates') return ui.showTemplates(true);
      return runAction(command.type);
    case 'undo':
    case 'redo':
    case 'select-all':
      // The field's own editing; execCommand is the one way a script can ask for it.
      if (isTextEntry(focused)) return void document.execCommand(command.type === 'select-all' ? 'selectAll' : command.type);
      if (canvasHas(focused)) runAction(command.type);
      return;
    case 'duplicate':
    case 'fit':
    case 'layout':
      if (canvasHas(focused)) runAction(command.type);
      return;
  }
}

/** Runs each menu:command the host sends; only the desktop app has a menu to send them. */
export function listenForMenuCommands(): () => void {
  return onHostEvent((event, payload) => {
    if (event !== 'menu:command') return;
    const { command } = (payload ?? {}) as Partial<HostEvents['menu:command']>;
    if (command && typeof command.type === 'string') runMenuCommand(command);
  });
}
