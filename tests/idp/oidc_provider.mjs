// A real OpenID Connect provider for the tests: node's `oidc-provider` (panva, OpenID
// Certified), configured by the test suite (tests/identity_providers.py) from a JSON file:
//
//   node tests/idp/oidc_provider.mjs config.json
//   {"port": 41234, "clients": [...], "accounts": {"<sub>": {claims}}, "idTokenTTL": 600}
//
// It prints "ready <issuer>" once listening. The sign-in page (/interaction/<uid>) lists the
// configured accounts; consent is granted at once, as a school's ENT does for its services.
//
// Test hook, POST /__test__/tamper {"mode": ...}: the NEXT token response has its ID token
// replaced, as an attacker between Vigie and the provider (or a rogue provider) would:
//   wrong_key  the same claims signed by another key announced under the same key id;
//   claims     claims changed ({"set": {"aud": "…"}}, "exp_offset"/"iat_offset" seconds
//              from now), signed with the provider's real key;
//   replay     the ID token of an earlier sign-in, unchanged;
//   drop       no ID token at all.
// GET /__test__/last returns the last ID token issued (for the tests' replay checks).

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { randomUUID } from 'node:crypto';

import Provider from 'oidc-provider';
import { SignJWT, decodeProtectedHeader, decodeJwt, exportJWK, generateKeyPair, importJWK } from 'jose';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;

async function newKey(kid) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

const signingJwk = await newKey(randomUUID());
const signingKey = await importJWK(signingJwk, 'RS256');

const accounts = config.accounts;
let tamper = null;
const issued = [];

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['vigie-tests-only-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name', 'birthdate'],
    roles: ['roles'],
  },
  // Scope claims in the ID token itself (the default keeps them for the userinfo endpoint).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  ttl: { IdToken: config.idTokenTTL || 600 },
  findAccount: async (_ctx, sub) => {
    if (!accounts[sub]) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...accounts[sub] }) };
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page('Déconnexion du fournisseur d\'identité de test',
          `${form}<p>Voulez-vous vous déconnecter ?</p>
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Oui, me déconnecter</button>
<button type="submit" form="op.logoutForm">Non, rester connecté</button>`);
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('Déconnecté', '<p>Vous êtes déconnecté du fournisseur d\'identité de test.</p>');
      },
    },
  },
});

async function tampered(idToken) {
  const mode = tamper;
  tamper = null;
  if (mode.mode === 'drop') return undefined;
  if (mode.mode === 'replay') return issued[issued.length - 2];
  const header = decodeProtectedHeader(idToken);
  const claims = decodeJwt(idToken);
  let key = signingKey;
  if (mode.mode === 'wrong_key') {
    key = await importJWK(await newKey(header.kid), 'RS256');
  } else if (mode.mode === 'claims') {
    const now = Math.floor(Date.now() / 1000);
    Object.assign(claims, mode.set || {});
    if (mode.exp_offset !== undefined) claims.exp = now + mode.exp_offset;
    if (mode.iat_offset !== undefined) claims.iat = now + mode.iat_offset;
  }
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid }).sign(key);
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.method === 'POST' && ctx.status === 200 && ctx.body?.id_token) {
    issued.push(ctx.body.id_token);
    if (tamper) {
      const token = await tampered(ctx.body.id_token);
      if (token === undefined) delete ctx.body.id_token;
      else ctx.body.id_token = token;
    }
  }
});

function readBody(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
  });
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    const login = form.get('login');
    if (!accounts[login]) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page('Identifiant inconnu', '<p>Identifiant inconnu.</p>'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    return;
  }
  if (prompt.name === 'login') {
    const options = Object.entries(accounts).map(([sub, claims]) =>
      `<li><button type="submit" name="login" value="${escape(sub)}">${escape(claims.given_name || '')} ${escape(claims.family_name || '')} (${escape(sub)})</button></li>`).join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page('ENT de test — connexion',
      `<p>Service demandeur : ${escape(params.client_id)}</p>
<form method="post" action="/interaction/${escape(uid)}"><ul>${options}</ul></form>`));
    return;
  }
  // consent: granted at once (a school's ENT does not ask its pupils)
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    if (req.url.startsWith('/__test__/tamper') && req.method === 'POST') {
      tamper = JSON.parse(await readBody(req));
      res.writeHead(204);
      res.end();
    } else if (req.url.startsWith('/__test__/last')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id_token: issued[issued.length - 1] || null, count: issued.length }));
    } else if (req.url.startsWith('/interaction/')) {
      await interaction(req, res);
    } else {
      callback(req, res);
    }
  } catch (error) {
    console.error(error);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(error));
  }
});

server.listen(config.port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
