/**
 * Connector and user-token clients are built once per (app id, serviceUrl, audience) and reused across
 * turns (bot/connectorCache.ts), with the SDK's own factories behind the cache.
 */
import type { Activity } from 'botbuilder';
import { CachedClientsAuthentication, MAX_CACHED_CLIENTS } from '../../bot/connectorCache';

const activity = (serviceUrl: string) =>
  ({ type: 'message', channelId: 'webchat', serviceUrl, conversation: { id: 'c' }, from: { id: 'u' }, recipient: { id: 'b' } }) as Activity;

const baseUri = (client: unknown) => (client as { baseUri: string }).baseUri;

describe('CachedClientsAuthentication', () => {
  it('hands every turn on one serviceUrl the same connector and user-token client (authentication disabled)', async () => {
    const auth = new CachedClientsAuthentication({});
    const a = await auth.authenticateRequest(activity('http://127.0.0.1:9/a'), '');
    const b = await auth.authenticateRequest(activity('http://127.0.0.1:9/a'), '');
    const ca = await a.connectorFactory!.create('http://127.0.0.1:9/a', a.audience);
    const cb = await b.connectorFactory!.create('http://127.0.0.1:9/a', b.audience);
    expect(cb).toBe(ca);
    expect(baseUri(ca)).toBe('http://127.0.0.1:9/a');
    const other = await b.connectorFactory!.create('http://127.0.0.1:9/b', b.audience);
    expect(other).not.toBe(ca);
    expect(baseUri(other)).toBe('http://127.0.0.1:9/b');
    expect(await auth.createUserTokenClient(a.claimsIdentity)).toBe(await auth.createUserTokenClient(b.claimsIdentity));
    expect(auth.cachedClients).toEqual({ connectors: 2, userTokens: 1 });
  });

  it('keeps clients of different app ids apart, with credentials for their own app id', async () => {
    const auth = new CachedClientsAuthentication({ MicrosoftAppId: 'app-one', MicrosoftAppPassword: 'secret', MicrosoftAppType: 'MultiTenant' });
    const identity = (appId: string) => auth.createConnectorFactory({ getClaimValue: (t: string) => (t === 'aud' ? appId : null), claims: [], isAuthenticated: true } as never);
    const one = await identity('app-one').create('https://smba.example/', undefined);
    expect(await identity('app-one').create('https://smba.example/', undefined)).toBe(one);
    await expect(identity('app-two').create('https://smba.example/', undefined)).rejects.toThrow(/Invalid appId/);
    expect((one.credentials as unknown as { appId: string }).appId).toBe('app-one');
    expect(auth.cachedClients.connectors).toBe(1); // the failed creation is not kept
  });

  it('stays bounded', async () => {
    const auth = new CachedClientsAuthentication({});
    const r = await auth.authenticateRequest(activity('http://127.0.0.1:9/x'), '');
    for (let i = 0; i < MAX_CACHED_CLIENTS + 10; i += 1) await r.connectorFactory!.create(`http://127.0.0.1:9/${i}`, r.audience);
    expect(auth.cachedClients.connectors).toBe(MAX_CACHED_CLIENTS);
  });
});
