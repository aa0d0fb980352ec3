import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router } from 'express';
import { openApiDocument } from './openapi.js';

/** /openapi.json and an interactive UI at /docs (swagger-ui from the package, no CDN). */
export function docsRoutes(): Router {
  const r = Router();
  const doc = openApiDocument();
  const uiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  r.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  r.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_PAGE);
  });
  r.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(
      "window.addEventListener('load',function(){window.SwaggerUIBundle({url:'/openapi.json',dom_id:'#ui'});});",
    );
  });
  r.use('/docs/assets', express.static(uiDir, { index: false }));
  return r;
}

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Paper desk OMS API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;
