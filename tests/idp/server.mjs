// A real OpenID Connect provider for the portal's sign-in tests: panva's oidc-provider (a
// certified implementation) with a login page that checks passwords, test users with
// groups, and a small admin door under /test/ through which a test changes them.
//
//   PORT=9123 node server.mjs       issuer http://127.0.0.1:9123
//
// Clients register themselves (OpenID Connect Dynamic Client Registration, POST /reg), so a
// test names the redirect URIs of the server it runs. Access tokens for a resource
// (urn:portal:api, urn:other:api) are JWTs holding the user's name and groups.
import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 9123);
const issuer = `http://127.0.0.1:${port}`;
const RESOURCES = ['urn:portal:api', 'urn:other:api'];

// username → { password, claims }; PUT /test/users/<username> replaces one.
const users = new Map();
function putUser(username, { password, groups, email, name }) {
  const claims = {
    sub: `sub-${username}`,
    preferred_username: username,
    email: email ?? `${username}@example.com`,
    email_verified: true,
    name: name ?? username,
    given_name: name ?? username,
    family_name: 'Tester',
  };
  if (groups !== undefined) claims.groups = groups;  // absent: the claim is missing
  users.set(username, { password: password ?? `${username}-password`, claims });
}
putUser('alice', { groups: ['Analysts'] });
putUser('bob', { groups: [] });

// PUT /test/ttl sets how long the next codes and access tokens live, in seconds.
const ttl = { AuthorizationCode: 60, AccessToken: 600 };

const accountBySub = (sub) => [...users.values()].find((u) => u.claims.sub === sub);

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
  },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => undefined,
      getResourceServerInfo: async (ctx, resource) => {
        if (!RESOURCES.includes(resource)) throw new Provider.errors.InvalidTarget();
        return {
          scope: 'api',
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: ttl.AccessToken,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  ttl: {
    AuthorizationCode: () => ttl.AuthorizationCode,
    AccessToken: () => ttl.AccessToken,
    IdToken: 3600,
    Interaction: 3600,
    Session: 86400,
    Grant: 86400,
  },
  async findAccount(ctx, sub) {
    const account = accountBySub(sub);
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ ...account.claims }) };
  },
  // What a resource server needs to know who calls: the API maps these like a sign-in.
  async extraTokenClaims(ctx, token) {
    const account = accountBySub(token.accountId);
    if (!account || token.kind !== 'AccessToken') return undefined;
    const { preferred_username, email, groups } = account.claims;
    return { preferred_username, email, ...(groups !== undefined ? { groups } : {}) };
  },
  // First-party clients: consent is given, for every scope and resource, without asking.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    for (const resource of RESOURCES) grant.addResourceScope(resource, 'api');
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(res, uid, error) {
  res.writeHead(error ? 401 : 200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><title>Test IdP sign-in</title></head><body>
<h1>Test identity provider</h1>
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
  <label>Username <input name="username" autocomplete="username"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form></body></html>`);
}

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') {
    // Consent is given by loadExistingGrant: another prompt is a mistake of this script.
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`unexpected prompt ${details.prompt.name}: ${JSON.stringify(details.prompt.details)}`);
    return;
  }
  if (action !== 'login' || req.method !== 'POST') {
    loginPage(res, uid);
    return;
  }
  const form = new URLSearchParams(await body(req));
  const user = users.get(form.get('username'));
  if (!user || user.password !== form.get('password')) {
    loginPage(res, uid, 'Wrong username or password.');
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: user.claims.sub } }, {
    mergeWithLastSubmission: false,
  });
}

async function admin(req, res, path) {
  const data = req.method === 'PUT' ? JSON.parse(await body(req) || '{}') : null;
  const user = path.match(/^\/test\/users\/([\w.@+-]+)$/);
  if (user && req.method === 'PUT') {
    putUser(user[1], data);
  } else if (path === '/test/ttl' && req.method === 'PUT') {
    Object.assign(ttl, data);
  } else {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(204).end();
}

const handle = provider.callback();
http.createServer(async (req, res) => {
  const { pathname } = new URL(req.url, issuer);
  const match = pathname.match(/^\/interaction\/([\w-]+)(?:\/(login))?$/);
  try {
    if (match) await interaction(req, res, match[1], match[2]);
    else if (pathname.startsWith('/test/')) await admin(req, res, pathname);
    else handle(req, res);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(err.message || err));
  }
}).listen(port, '127.0.0.1', () => console.log(`test IdP listening on ${issuer}`));
