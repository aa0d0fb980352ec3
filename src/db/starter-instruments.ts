/** The instruments a new desk starts with (reference prices are only a starting point for the simulator). */
export const STARTER_INSTRUMENTS: readonly { symbol: string; name: string; referencePrice: string }[] = [
  { symbol: 'AAPL', name: 'Apple Inc.', referencePrice: '175.00' },
  { symbol: 'MSFT', name: 'Microsoft Corp.', referencePrice: '412.50' },
  { symbol: 'GOOGL', name: 'Alphabet Inc.', referencePrice: '165.00' },
  { symbol: 'AMZN', name: 'Amazon.com Inc.', referencePrice: '185.00' },
  { symbol: 'TSLA', name: 'Tesla Inc.', referencePrice: '250.00' },
  { symbol: 'NVDA', name: 'NVIDIA Corp.', referencePrice: '120.00' },
  { symbol: 'META', name: 'Meta Platforms Inc.', referencePrice: '500.00' },
  { symbol: 'SPY', name: 'SPDR S&P 500 ETF', referencePrice: '550.00' },
];
