import express from 'express';

/** Baseline: a bare Express 5 app that parses the same JSON body and echoes it. */
const app = express();
app.use(express.json({ limit: '64kb' }));
app.post('/api/v1/orders', (req, res) => {
  res.status(201).json(req.body);
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('disconnect', () => process.exit(0));
