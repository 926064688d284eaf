import { si, stat } from './stats';

describe('bench statistics', () => {
  it('median of odd and even counts, with min and max', () => {
    expect(stat([5, 1, 3])).toMatchObject({ median: 3, min: 1, max: 5 });
    expect(stat([4, 1, 3, 2])).toMatchObject({ median: 2.5, min: 1, max: 4 });
    expect(() => stat([])).toThrow();
  });
  it('formats without locale separators', () => {
    expect(si(1234567)).toBe('1.23 M');
    expect(si(12345)).toBe('12.3 k');
    expect(si(12.34)).toBe('12.3');
  });
});
