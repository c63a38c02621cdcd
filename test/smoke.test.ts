test('typescript runs under jest', () => {
  const n: number = 1 + 1;
  expect(n).toBe(2);
});
