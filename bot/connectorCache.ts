/**
 * Connector and user-token clients reused across turns.
 *
 * botbuilder's `ConfigurationBotFrameworkAuthentication` builds a new `ConnectorClient` (credentials, an HTTP
 * pipeline) and a new `UserTokenClient` for every incoming activity. This subclass keeps them: connector
 * clients per (bot app id, serviceUrl, audience), user-token clients per app id — exactly what the SDK's
 * factories build them from, so a cached client is the one the SDK would have built. Credentials are kept with
 * their client and fetch and refresh their own tokens (AppCredentials renews an expired token on the next
 * request), so reuse never sends a stale token. Both caches are bounded (oldest dropped first), and a failed
 * creation is not cached.
 */
import { ConfigurationBotFrameworkAuthentication } from 'botbuilder';

type Base = ConfigurationBotFrameworkAuthentication;
type ClaimsIdentity = Parameters<Base['createConnectorFactory']>[0];
type ConnectorFactory = ReturnType<Base['createConnectorFactory']>;
type ConnectorClient = Awaited<ReturnType<ConnectorFactory['create']>>;
type UserTokenClient = Awaited<ReturnType<Base['createUserTokenClient']>>;
type AuthenticateRequestResult = Awaited<ReturnType<Base['authenticateRequest']>>;

/** Most distinct (app id, serviceUrl, audience) clients kept: a channel has a handful of serviceUrls. */
export const MAX_CACHED_CLIENTS = 64;

/** The app id botbuilder builds a request's clients for (ParameterizedBotFrameworkAuthentication's getAppId). */
function appIdOf(identity: ClaimsIdentity): string {
  return identity.getClaimValue('aud') ?? identity.getClaimValue('appid') ?? '';
}

/** A bounded map of promises: the oldest entry goes first when full; a rejected promise is forgotten. */
class PromiseCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, make: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) return hit;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    const made = make();
    this.entries.set(key, made);
    made.catch(() => {
      if (this.entries.get(key) === made) this.entries.delete(key);
    });
    return made;
  }
}

export class CachedClientsAuthentication extends ConfigurationBotFrameworkAuthentication {
  private readonly connectors = new PromiseCache<ConnectorClient>(MAX_CACHED_CLIENTS);
  private readonly userTokens = new PromiseCache<UserTokenClient>(MAX_CACHED_CLIENTS);
  private readonly factories = new Map<string, ConnectorFactory>();

  /** How many clients are cached (tests). */
  get cachedClients(): { connectors: number; userTokens: number } {
    return { connectors: this.connectors.size, userTokens: this.userTokens.size };
  }

  override async authenticateRequest(...args: Parameters<Base['authenticateRequest']>): Promise<AuthenticateRequestResult> {
    const result = await super.authenticateRequest(...args);
    return result.connectorFactory ? { ...result, connectorFactory: this.cachedFactory(result.connectorFactory, appIdOf(result.claimsIdentity)) } : result;
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.cachedFactory(super.createConnectorFactory(claimsIdentity), appIdOf(claimsIdentity));
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.userTokens.get(appIdOf(claimsIdentity), () => super.createUserTokenClient(claimsIdentity));
  }

  /** The factory handed to a turn: one per app id (the SDK's factories differ only in it), its clients cached. */
  private cachedFactory(factory: ConnectorFactory, appId: string): ConnectorFactory {
    const known = this.factories.get(appId);
    if (known) return known;
    const connectors = this.connectors;
    const cached = Object.assign(Object.create(factory) as ConnectorFactory, {
      create: (serviceUrl: string, audience?: string) =>
        connectors.get(JSON.stringify([appId, serviceUrl, audience ?? null]), () => factory.create(serviceUrl, audience)),
    });
    if (this.factories.size >= MAX_CACHED_CLIENTS) this.factories.clear();
    this.factories.set(appId, cached);
    return cached;
  }
}
