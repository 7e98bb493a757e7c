"""Unit tests of the comparison rules in driver.py (no models, no sway run; seconds).

Run: $SWAY_PARITY_PYTHON parity/report/test_compare.py   (run.sh runs it first)
"""

from __future__ import annotations

import copy
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import driver  # noqa: E402


def report(raw: float = 0.5, z: float | None = 4.0, null_mean: float = 0.1, null_std: float = 0.1, score: float = 0.6) -> dict:
    stats = {"mean": null_mean, "std": null_std, "n": 10.0, "degenerate": 0.0}
    return {
        "schema_version": 1,
        "wall_seconds": 1.0,
        "probes": [
            {
                "name": "calib",
                "kind": "null_adapter",
                "verdict": "pass",
                "score": 1.0,
                "raw": None,
                "z_score": None,
                "base_value": None,
                "ft_value": None,
                "ci_95": None,
                "evidence": {"null_stats_by_rank": {"rank_1.00": {"delta_kl": stats}}},
            },
            {
                "name": "dkl",
                "kind": "delta_kl",
                "verdict": "pass",
                "score": score,
                "raw": raw,
                "z_score": z,
                "base_value": None,
                "ft_value": None,
                "ci_95": [raw - 0.1, raw + 0.1],
                "evidence": {"per_prompt": [raw], "weight": 1.0},
            },
        ],
    }


def unexplained(rows: list[driver.Row]) -> list[tuple[str, str]]:
    return [(r.probe, r.field) for r in rows if not r.agree and r.deliberate is None]


class CompareRules(unittest.TestCase):
    def test_identical_reports_agree_everywhere(self) -> None:
        rows = driver.compare_reports("s", report(), report())
        self.assertTrue(rows)
        self.assertEqual(unexplained(rows), [])

    def test_raw_off_by_more_than_tolerance_is_flagged(self) -> None:
        rows = driver.compare_reports("s", report(raw=0.5), report(raw=0.5 + 3e-4))
        self.assertIn(("dkl", "raw"), unexplained(rows))
        # z rides on raw: a raw difference also fails z
        self.assertIn(("dkl", "z_score"), unexplained(rows))

    def test_z_from_a_different_null_draw_agrees_when_means_agree(self) -> None:
        ours = report(z=20.0, null_mean=0.12, null_std=0.02)
        rows = driver.compare_reports("s", report(z=4.0, null_mean=0.1, null_std=0.1), ours)
        self.assertNotIn(("dkl", "z_score"), unexplained(rows))

    def test_null_means_apart_by_more_than_three_standard_errors_are_flagged(self) -> None:
        rows = driver.compare_reports("s", report(null_mean=0.1, null_std=0.01), report(null_mean=0.2, null_std=0.01))
        self.assertIn(("null:delta_kl", "null.rank_1.00.mean"), unexplained(rows))

    def test_evidence_key_sets_must_match(self) -> None:
        ours = report()
        ours["probes"][1]["evidence"]["extra"] = 1
        self.assertIn(("dkl", "evidence keys"), unexplained(driver.compare_reports("s", report(), ours)))

    def test_missing_probe_is_flagged(self) -> None:
        ours = report()
        ours["probes"].pop()
        self.assertIn(("dkl", "present"), unexplained(driver.compare_reports("s", report(), ours)))

    def test_score_under_a_z_score_is_the_deliberate_map(self) -> None:
        ref, ours = report(score=0.78), report(score=0.6)
        rows = driver.compare_reports("s", ref, ours)
        driver.apply_deliberate(rows, driver.load_deliberate(), {"s": {"ref": ref, "ours": ours}})
        score = next(r for r in rows if r.field == "score" and r.probe == "dkl")
        self.assertFalse(score.agree)
        self.assertEqual(score.deliberate, "z-score-map")

    def test_score_without_a_z_score_is_not_excused(self) -> None:
        ref, ours = report(z=None, score=0.78), report(z=None, score=0.6)
        rows = driver.compare_reports("s", ref, ours)
        driver.apply_deliberate(rows, driver.load_deliberate(), {"s": {"ref": ref, "ours": ours}})
        self.assertIn(("dkl", "score"), unexplained(rows))

    def test_refdata_rows_are_not_excused_by_sway_data_entries(self) -> None:
        ref = report()
        ref["probes"][1].update(kind="external_perplexity", name="ppl", z_score=None)
        ours = copy.deepcopy(ref)
        ours["probes"][1]["raw"] = 0.9
        rows = driver.compare_reports("s", ref, ours) + driver.refdata_rows("s", ref, ours)
        reports = {"s": {"ref": ref, "ours": ours}, "s+refdata": {"ref": ref, "ours": ours}}
        driver.apply_deliberate(rows, driver.load_deliberate(), reports)
        own = next(r for r in rows if r.spec == "s" and r.field == "raw" and r.probe == "ppl")
        alt = next(r for r in rows if r.spec == "s+refdata" and r.field == "raw" and r.probe == "ppl")
        self.assertEqual(own.deliberate, "ppl-corpus")
        self.assertIsNone(alt.deliberate)

    def _judged(self, ref: dict, ours: dict, extra_rows: list[driver.Row] | None = None) -> list[driver.Row]:
        rows = driver.compare_reports("s", ref, ours) + (extra_rows or [])
        driver.apply_deliberate(rows, driver.load_deliberate(), {"s": {"ref": ref, "ours": ours}})
        return rows

    def test_only_listed_extra_evidence_keys_are_excused(self) -> None:
        ref = report()
        ref["probes"][1].update(kind="preference_flip", name="prefs")
        listed, unlisted = copy.deepcopy(ref), copy.deepcopy(ref)
        listed["probes"][1]["evidence"].update(effect_size=1.0, null_samples={})
        unlisted["probes"][1]["evidence"].update(effect_size=1.0, surprise=1)
        self.assertNotIn(("prefs", "evidence keys"), unexplained(self._judged(ref, listed)))
        self.assertIn(("prefs", "evidence keys"), unexplained(self._judged(ref, unlisted)))
        missing = copy.deepcopy(listed)
        del missing["probes"][1]["evidence"]["weight"]
        self.assertIn(("prefs", "evidence keys"), unexplained(self._judged(ref, missing)))

    def _matched(self) -> tuple[dict, dict]:
        ref = report(z=4.0, null_mean=0.1, null_std=0.01)
        ours = report(z=1.0, null_mean=0.4, null_std=0.01)
        ours["probes"][0]["evidence"]["null_scale"] = "matched"
        return ref, ours

    def init_row(self, ours_mean: float) -> driver.Row:
        ok, note = driver.null_means_agree({"mean": 0.1, "std": 0.01, "n": 10, "degenerate": 0}, {"mean": ours_mean, "std": 0.01, "n": 10, "degenerate": 0})
        return driver.Row("s", "null:delta_kl", "delta_kl", "null@init.rank_1.00.mean", 0.1, ours_mean, ok, note)

    def test_matched_null_difference_is_excused_only_when_the_init_null_agrees(self) -> None:
        ref, ours = self._matched()
        rows = self._judged(ref, ours, [self.init_row(0.101)])
        self.assertEqual(unexplained(rows), [])
        rows = self._judged(ref, ours, [self.init_row(0.3)])
        self.assertIn(("null:delta_kl", "null.rank_1.00.mean"), unexplained(rows))
        self.assertIn(("dkl", "z_score"), unexplained(rows))
        self.assertIn(("null:delta_kl", "null@init.rank_1.00.mean"), unexplained(rows))

    def test_matched_null_z_is_not_excused_when_raw_differs(self) -> None:
        ref, ours = self._matched()
        ours["probes"][1]["raw"] = 0.9
        self.assertIn(("dkl", "z_score"), unexplained(self._judged(ref, ours, [self.init_row(0.101)])))

    def test_init_null_default_is_not_excused(self) -> None:
        ref, ours = self._matched()
        ours["probes"][0]["evidence"]["null_scale"] = "init"
        self.assertIn(("null:delta_kl", "null.rank_1.00.mean"), unexplained(self._judged(ref, ours, [self.init_row(0.101)])))

    def test_preference_flip_margin_fallback_is_not_a_null_strength_difference(self) -> None:
        ref, ours = self._matched()
        for r in (ref, ours):
            r["probes"][1].update(kind="preference_flip", name="prefs")
            r["probes"][0]["evidence"]["null_stats_by_rank"]["rank_1.00"]["preference_flip"] = r["probes"][0]["evidence"]["null_stats_by_rank"]["rank_1.00"].pop("delta_kl")
            r["probes"][1]["evidence"] = {"mean_margin_delta": 0.5, "weight": 1.0}
        ours["probes"][1]["z_score"] = None
        ours["probes"][1]["evidence"]["null_fallback"] = "the null calibrates flip_rate"
        init = self.init_row(0.101)
        init.probe, init.kind = "null:preference_flip", "preference_flip"
        z = next(r for r in self._judged(ref, ours, [init]) if r.field == "z_score" and r.probe == "prefs")
        self.assertEqual(z.deliberate, "pref-margin-no-z")

    def test_fail_cap_excuses_only_a_capped_fail(self) -> None:
        ref, ours = report(z=None, score=0.79), report(z=None, score=0.59)
        for r in (ref, ours):
            r["probes"][1].update(kind="adapter_ablation", name="ablation", verdict="fail")
        self.assertNotIn(("ablation", "score"), unexplained(self._judged(ref, ours)))
        ours["probes"][1]["score"] = 0.3
        self.assertIn(("ablation", "score"), unexplained(self._judged(ref, ours)))

    def test_report_warnings_key_only(self) -> None:
        ref, ours = report(), report()
        ours["warnings"] = ["w"]
        self.assertEqual(unexplained(self._judged(ref, ours)), [])
        ours["other"] = 1
        self.assertIn(("(report)", "report keys"), unexplained(self._judged(ref, ours)))

    def test_every_deliberate_entry_cites_a_changelog_bullet(self) -> None:
        self.assertTrue(driver.load_deliberate())


if __name__ == "__main__":
    unittest.main()
