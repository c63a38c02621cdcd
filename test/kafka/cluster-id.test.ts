import { kraftClusterId } from '../../runtime/kafka/cluster';

test('KRaft cluster ids are 22 URL-safe base64 characters and never start with "-"', () => {
  for (let i = 0; i < 5000; i++) {
    const id = kraftClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
});
