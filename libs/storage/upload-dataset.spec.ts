import { datasetContentType, datasetExtension } from './upload-dataset';

describe(datasetExtension.name, () => {
  it.each([
    ['sessions.csv', '.csv'],
    ['events.CSV.gz', '.csv.gz'],
    ['CDNOW_master.txt', '.txt'],
    ['shoppers.parquet', '.parquet'],
    ['no-extension', ''],
  ])('keeps the extension of %s on the snapshot source (%s)', (name, ext) => {
    expect(datasetExtension(name)).toBe(ext);
  });
});

describe(datasetContentType.name, () => {
  it('stores Parquet, gzip and text each with its own type', () => {
    expect(datasetContentType('t.parquet')).toBe('application/vnd.apache.parquet');
    expect(datasetContentType('t.csv.gz')).toBe('application/gzip');
    expect(datasetContentType('t.tsv')).toBe('text/csv');
  });
});
