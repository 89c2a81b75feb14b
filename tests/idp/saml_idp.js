// A SAML 2.0 identity provider for the tests (Web Browser SSO: HTTP-Redirect in, HTTP-POST
// out), built on node's `samlp` (auth0), which builds and signs the responses and
// assertions with xml-crypto. Configured by the test suite (tests/identity_providers.py):
//
//   node tests/idp/saml_idp.js config.json
//   {"port": 41235, "cert": "<PEM>", "key": "<PEM>", "users": {"<NameID>": {attributes}}}
//
// It prints "ready <base URL>" once listening; its metadata is at /metadata and its entityID
// is that URL. The sign-in page (/sso) lists the configured people.
//
// Test hook, POST /__test__/next {...}: options for the NEXT response only, as a misconfigured
// or hostile identity provider would send: {"signAssertion": false} (unsigned),
// {"recipient": "…", "destination": "…"} (meant for another service), {"audience": "…"}.
// GET /__test__/last returns the last response posted ({"SAMLResponse", "RelayState", "acs"}).
//
// Single log-out (SP-initiated, HTTP-Redirect both ways): /slo takes a LogoutRequest, ends
// the provider's session of that NameID (a cookie, set at sign-in) and answers a Success
// LogoutResponse to the service's log-out URL (config "spLogout": {"<SP entityID>": URL}).
// GET /__test__/logouts lists the NameIDs logged out.

const fs = require('node:fs');
const http = require('node:http');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const samlp = require('samlp');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const base = `http://127.0.0.1:${config.port}`;
const entityId = `${base}/metadata`;
const pending = new Map();
const sessions = new Map(); // cookie value -> NameID
const logouts = [];
let next = null;
let last = null;

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const certBody = config.cert.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

function page(title, body, script = '') {
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title></head>
<body><main><h1>${escape(title)}</h1>${body}</main>${script}</body></html>`;
}

function logout(req, res, url) {
  let xml;
  try {
    xml = zlib.inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') || '', 'base64')).toString();
  } catch (error) {
    send(res, 400, page('Requête invalide', '<p>LogoutRequest illisible.</p>'));
    return;
  }
  const requestId = (/<(?:\w+:)?LogoutRequest[^>]*\sID="([^"]+)"/.exec(xml) || [])[1];
  const nameId = (/<(?:\w+:)?NameID[^>]*>([^<]+)</.exec(xml) || [])[1];
  const issuer = (/<(?:\w+:)?Issuer[^>]*>([^<]+)</.exec(xml) || [])[1];
  const target = (config.spLogout || {})[issuer];
  if (!requestId || !nameId || !target) {
    send(res, 400, page('Requête invalide', '<p>Service ou personne inconnus.</p>'));
    return;
  }
  for (const [cookie, id] of sessions) if (id === nameId) sessions.delete(cookie);
  logouts.push(nameId);
  const answer = `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${crypto.randomUUID()}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${escape(target)}" InResponseTo="${escape(requestId)}"><saml:Issuer>${escape(entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
  const encoded = zlib.deflateRawSync(Buffer.from(answer)).toString('base64');
  const relay = url.searchParams.get('RelayState');
  const location = `${target}?SAMLResponse=${encodeURIComponent(encoded)}${relay ? `&RelayState=${encodeURIComponent(relay)}` : ''}`;
  res.writeHead(302, { location, 'set-cookie': 'idp_session=; Path=/; Max-Age=0' });
  res.end();
}

function metadata() {
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${base}/slo"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${base}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

function profileMapper(user) {
  return {
    getClaims: () => ({ ...user.attributes }),
    getNameIdentifier: () => ({
      nameIdentifier: user.id,
      nameIdentifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    }),
  };
}

function readBody(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
  });
}

function send(res, status, body, type = 'text/html; charset=utf-8', headers = {}) {
  res.writeHead(status, { 'content-type': type, ...headers });
  res.end(body);
}

function sessionOf(req) {
  const match = /(?:^|;\s*)idp_session=([^;]+)/.exec(req.headers.cookie || '');
  return match && sessions.has(match[1]) ? match[1] : null;
}

async function sso(req, res, url) {
  const query = Object.fromEntries(url.searchParams);
  samlp.parseRequest({ query }, (error, request) => {
    if (error || !request) {
      send(res, 400, page('Requête SAML invalide', `<p>${escape(error || 'SAMLRequest manquant')}</p>`));
      return;
    }
    const uid = crypto.randomUUID();
    pending.set(uid, { request, relayState: query.RelayState || '' });
    const current = sessionOf(req);
    if (current) {
      const id = sessions.get(current);
      const attributes = config.users[id];
      send(res, 200, page('GAR de test — déjà connecté',
        `<p>Ressource demandeuse : ${escape(request.issuer)}</p><form method="post" action="/sso/${uid}"><button type="submit" name="login" value="${escape(id)}">Continuer en tant que ${escape(attributes.prenom || '')} ${escape(attributes.nom || '')}</button></form>`));
      return;
    }
    const buttons = Object.entries(config.users).map(([id, attributes]) =>
      `<li><button type="submit" name="login" value="${escape(id)}">${escape(attributes.prenom || '')} ${escape(attributes.nom || '')} (${escape(id)})</button></li>`).join('');
    send(res, 200, page('GAR de test — connexion',
      `<p>Ressource demandeuse : ${escape(request.issuer)}</p><form method="post" action="/sso/${uid}"><ul>${buttons}</ul></form>`));
  });
}

async function login(req, res, uid) {
  const state = pending.get(uid);
  const form = new URLSearchParams(await readBody(req));
  const id = form.get('login');
  if (!state || !config.users[id]) {
    send(res, 400, page('Connexion impossible', '<p>Demande inconnue.</p>'));
    return;
  }
  pending.delete(uid);
  const acs = state.request.assertionConsumerServiceURL;
  const overrides = next || {};
  next = null;
  const options = {
    issuer: entityId,
    cert: config.cert,
    key: config.key,
    audience: overrides.audience || state.request.issuer,
    recipient: overrides.recipient || acs,
    destination: overrides.destination || acs,
    inResponseTo: state.request.id,
    signAssertion: overrides.signAssertion !== false,
    signResponse: Boolean(overrides.signResponse),
    signatureAlgorithm: 'rsa-sha256',
    digestAlgorithm: 'sha256',
    lifetimeInSeconds: 300,
    sessionIndex: crypto.randomUUID(),
    profileMapper,
  };
  samlp.getSamlResponse(options, { id, attributes: config.users[id] }, (error, xml) => {
    if (error) {
      send(res, 500, page('Erreur', `<p>${escape(error.message)}</p>`));
      return;
    }
    const token = Buffer.from(xml).toString('base64');
    last = { SAMLResponse: token, RelayState: state.relayState, acs };
    const cookie = sessionOf(req) || crypto.randomUUID();
    sessions.set(cookie, id);
    send(res, 200, page('Retour vers le service',
      `<form method="post" action="${escape(acs)}">
<input type="hidden" name="SAMLResponse" value="${token}">
<input type="hidden" name="RelayState" value="${escape(state.relayState)}">
<button type="submit">Continuer</button></form>`,
      "<script>window.addEventListener('load', () => document.forms[0].submit());</script>"),
      'text/html; charset=utf-8', { 'set-cookie': `idp_session=${cookie}; Path=/; HttpOnly` });
  });
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, base);
    if (url.pathname === '/metadata') {
      send(res, 200, metadata(), 'application/samlmetadata+xml');
    } else if (url.pathname === '/sso' && req.method === 'GET') {
      await sso(req, res, url);
    } else if (url.pathname.startsWith('/sso/') && req.method === 'POST') {
      await login(req, res, url.pathname.slice(5));
    } else if (url.pathname === '/slo' && req.method === 'GET') {
      logout(req, res, url);
    } else if (url.pathname === '/__test__/logouts') {
      send(res, 200, JSON.stringify(logouts), 'application/json');
    } else if (url.pathname === '/__test__/next' && req.method === 'POST') {
      next = JSON.parse(await readBody(req));
      res.writeHead(204);
      res.end();
    } else if (url.pathname === '/__test__/last') {
      send(res, 200, JSON.stringify(last), 'application/json');
    } else {
      send(res, 404, page('Introuvable', '<p>Introuvable.</p>'));
    }
  } catch (error) {
    console.error(error);
    if (!res.headersSent) send(res, 500, String(error), 'text/plain');
    else res.end();
  }
});

server.listen(config.port, '127.0.0.1', () => {
  console.log(`ready ${base}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
