import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const SHARED_DATA = path.resolve(process.cwd(), '../shared/data');
export const FIXTURES = path.resolve(process.cwd(), 'tests/fixtures/data');

export const CENSUS_COLUMNS = [
  'age', 'class_worker', 'det_ind_code', 'det_occ_code', 'education', 'wage_per_hour', 'hs_college',
  'marital_stat', 'major_ind_code', 'major_occ_code', 'race', 'hisp_origin', 'sex', 'union_member',
  'unemp_reason', 'full_or_part_emp', 'capital_gains', 'capital_losses', 'stock_dividends',
  'tax_filer_stat', 'region_prev_res', 'state_prev_res', 'det_hh_fam_stat', 'det_hh_summ',
  'instance_weight', 'mig_chg_msa', 'mig_chg_reg', 'mig_move_reg', 'mig_same', 'mig_prev_sunbelt',
  'num_emp', 'fam_under_18', 'country_father', 'country_mother', 'country_self', 'citizenship',
  'own_or_self', 'vet_question', 'vet_benefits', 'weeks_worked', 'year', 'income_50k',
];

/** A fresh temp directory with helpers to write plain or gzipped files into it. */
export function tempDir(): { dir: string; write(name: string, text: string | Buffer): string; writeGz(name: string, text: string): string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'towerflow-data-'));
  return {
    dir,
    write(name, text) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    writeGz(name, text) {
      const file = path.join(dir, name);
      writeFileSync(file, gzipSync(text));
      return file;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
