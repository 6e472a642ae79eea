"""The calibration tables in the docs are the calibration's own numbers.

``benchmarks/calibrate_one_cycle.py report --write`` writes
``benchmarks/calibration_results.json``; ``docs/range_test.md`` and ``benchmarks/README.md``
show its tables to a reader. These tests read each table row back and compare it with the
json, so a re-run calibration that is not carried into the docs fails here.
"""
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CALIB = json.loads((ROOT / 'benchmarks' / 'calibration_results.json').read_text())
RULES = CALIB['rules']

# the label of a row in each document -> the rule's name in the json
DOC_ROWS = {
    'docs/range_test.md': {
        '**`sqrt(F D) / sqrt(10)`**': 'sqrt(F D) / sqrt(10) (issue 20)',
        '`F / 1.5`': 'F / 1.5 (before)',
        '`minimum/10`': 'minimum/10',
        '`median`': 'median (constant-LR)',
        '`peak_probe`, 25 %': 'probe',
    },
    'benchmarks/README.md': {
        '**sqrt(F D) / sqrt(10)**': 'sqrt(F D) / sqrt(10) (issue 20)',
        'F^a D^(1-a) / c': 'F^a D^(1-a) / c',
        'sqrt(F D) / c': 'sqrt(F D) / c',
        'D / c': 'D / c',
        'F / c': 'F / c',
        'F / 1.5': 'F / 1.5 (before)',
        'minimum/10': 'minimum/10',
        'median': 'median (constant-LR)',
        'valley': 'valley',
        'peak probe, 25 %': 'probe',
        'peak probe, 50 %': 'probe50',
    },
}


def _row(path, label):
    lines = [l for l in (ROOT / path).read_text().splitlines() if l.startswith('| ' + label)]
    assert len(lines) == 1, '%s: %d table rows start with %r' % (path, len(lines), label)
    return [c.strip() for c in lines[0].strip('|').split('|')][1:]


def _summary(cell):
    """'0.53 / 2.61 / 5' -> (0.53, 2.61, 5); '1.65 / 4 within' -> (1.65, 4)."""
    return tuple(float(v) if '.' in v else int(v)
                 for v in re.findall(r'\d+\.\d+|\d+', cell.replace('within', '')))


def _expected(rule):
    if rule.startswith('probe'):
        p = CALIB[rule]
        return [(p['tune']['mean'], p['tune']['worst'], p['tune']['within']),
                (p['report']['mean'], p['report']['worst'], p['report']['within'])]
    r = RULES[rule]
    return [(r['default']['tune']['mean'], r['default']['tune']['worst'],
             r['default']['tune']['within']),
            (r['default']['report']['mean'], r['default']['report']['worst'],
             r['default']['report']['within']),
            (r['num_it=300']['report']['mean'], r['num_it=300']['report']['within']),
            (r['start_lr=1e-4']['report']['mean'], r['start_lr=1e-4']['report']['within'])]


def _same(got, want):
    return len(got) == len(want) and all(
        (round(w, 2) == g) if isinstance(g, float) else (g == w) for g, w in zip(got, want))


@pytest.mark.parametrize('path,label', [(p, l) for p, rows in DOC_ROWS.items() for l in rows])
def test_doc_table_rows_are_the_calibration_results(path, label):
    cells = _row(path, label)
    want = _expected(DOC_ROWS[path][label])
    got = [_summary(c) for c in cells[:len(want)]]
    for g, w in zip(got, want):
        assert _same(g, w), '%s, row %r: %s, the calibration says %s' % (path, label, g, w)


def test_the_library_rule_is_the_one_chosen_on_the_report_half():
    assert CALIB['winner'] == 'sqrt(F D) / sqrt(10) (issue 20)'
    assert CALIB['winner'] == min(CALIB['report_mean_over_settings'],
                                  key=CALIB['report_mean_over_settings'].get)
    assert len(CALIB['tune']) == len(CALIB['report']) == 8
    assert not set(CALIB['tune']) & set(CALIB['report'])


def test_the_pair_counts_in_the_docs_are_the_calibrations():
    text = (ROOT / 'docs' / 'range_test.md').read_text()
    assert 'Sixteen model/data pairs' in text and len(CALIB['tune']) + len(CALIB['report']) == 16
    assert 'eight that fit constants and eight that\nonly report' in text


def test_the_readme_states_both_halves_as_measured():
    text = ' '.join((ROOT / 'README.md').read_text().split())
    rule = RULES[CALIB['winner']]['default']
    want = ('lost %.2f points of test accuracy on average on the tuning pairs (within 0.3 '
            'points on %d of %d) and **%.2f on the held-out pairs (within 0.3 on %d of %d, '
            'worst %.2f)**' % (rule['tune']['mean'], rule['tune']['within'], rule['tune']['n'],
                               rule['report']['mean'], rule['report']['within'],
                               rule['report']['n'], rule['report']['worst']))
    assert want in text
    assert '`gs.peak_probe`) did worse (%.2f)' % CALIB['probe']['report']['mean'] in text
