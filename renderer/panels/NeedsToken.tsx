import { useSyncExternalStore } from 'react';
import { hostAccess, onHostAccess, type HostAccess } from '../api/host';

/** The page's access to the host, re-rendering when the server turns the token down. */
export const useHostAccess = (): HostAccess => useSyncExternalStore(onHostAccess, hostAccess);

/**
 * Shown instead of the app when a web-mode page cannot reach the host: opened without the token
 * (the bare address in a new tab: the token lives only in the printed link and in the tab that
 * opened it), or with a token the server no longer accepts (it was restarted). An app that can
 * do nothing would only confuse; this says where the working address is.
 */
export function NeedsToken({ access }: { access: Exclude<HostAccess, 'ok'> }) {
  const address = `${window.location.origin}/?token=…`;
  return (
    <main className="needs-token" data-testid="needs-token" style={{ maxWidth: '42rem', margin: '4rem auto', padding: '0 1.5rem', lineHeight: 1.55 }}>
      <h1>Towerflow</h1>
      {access === 'no-token' ? (
        <p data-testid="needs-token-reason">
          This address has no access key. Towerflow in a browser answers only pages opened with the key (the <em>token</em>) its server printed,
          so that other pages and programs on this computer cannot reach your workspace.
        </p>
      ) : (
        <p data-testid="needs-token-reason">
          The server did not accept this page’s access key: it was probably restarted, and a restarted server prints a new key.
        </p>
      )}
      <p>To open Towerflow, use the full address printed in the terminal where the server runs (<code>npm run web</code> or <code>npx towerflow serve</code>):</p>
      <pre>
        <code>{address}</code>
      </pre>
      <p className="dim">
        Copy the whole line, token included, into the address bar. A tab opened that way keeps working when reloaded; a new tab needs the full
        address again.
      </p>
    </main>
  );
}
