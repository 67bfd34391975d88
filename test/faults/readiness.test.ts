/**
 * In production an empty directory (Redis lost its data) makes /readyz fail, so the load balancer takes the
 * instance out instead of it telling every patient "we've sent"; /healthz (liveness) stays 200.
 */
import { startHost } from '../helpers/host';
import { DEMO } from '../helpers/e2e';

it('/readyz is 503 naming the directory while it is empty in production, 200 once patients are imported', async () => {
  const host = await startHost(
    'ready',
    10,
    {
      NODE_ENV: 'production',
      MicrosoftAppId: '00000000-0000-0000-0000-000000000002',
      MicrosoftAppPassword: 'not-used',
      SMTP_URL: 'smtp://127.0.0.1:9',
      SERVER_SECRET: 'readiness-test-secret-0123456789-0123456789',
    },
    { mailWorker: false },
  );
  try {
    const empty = await fetch(`${host.url}/readyz`);
    expect(empty.status).toBe(503);
    expect(empty.headers.get('retry-after')).toBe('10');
    expect(await empty.json()).toMatchObject({ status: 'unavailable', checks: { redis: 'ok', mailQueue: 'ok', directory: 'failing' } });
    expect((await fetch(`${host.url}/healthz`)).status).toBe(200);
    await host.app.services.directory.importPatients(DEMO);
    const ready = await fetch(`${host.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { redis: 'ok', mailQueue: 'ok', directory: 'ok' } });
  } finally {
    await host.stop();
  }
});
