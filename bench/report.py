"""The bench's report: targets as ratios from one run, and the markdown tables."""

from __future__ import annotations

from pathlib import Path


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def targets(rows: dict[str, dict], check: dict) -> list[tuple[str, bool | None, str]]:
    small, medium, large = rows["small"], rows["medium"], rows["large"]
    out = []
    out.append((f"warm {medium['session']} at least 3x faster than the baseline",
                medium["speedup"] >= 3, f"{medium['speedup']}x"))
    out.append((f"warm {large['session']} at least 10x faster than the baseline",
                large["speedup"] >= 10, f"{large['speedup']}x"))
    out.append((("(information) the highest speed-up possible with this encoder: "
                "baseline / floor on all cores, as no render can be much faster than the "
                "bare encode"), None,
                ", ".join(f"{r['session']}: "
                          f"{r['baseline']['wall_s'] / r['floor_all_cores']['wall_s']:.1f}x"
                          for r in rows.values())))
    ratios = {r["session"]: r["warm_over_floor"] for r in rows.values()}
    out.append(("warm within 1.15x of the floor (every length)",
                all(v <= 1.15 for v in ratios.values()),
                ", ".join(f"{k}: {v}x" for k, v in ratios.items())))
    ratios = {r["session"]: r["warm_over_floor_all_cores"] for r in rows.values()}
    out.append(("stretch: warm within 1.15x of the floor on all cores (every length)",
                all(v <= 1.15 for v in ratios.values()),
                ", ".join(f"{k}: {v}x" for k, v in ratios.items())))
    peaks = {r["session"]: r["warm"]["maxrss_mb"] for r in rows.values()}
    out.append(("warm peak RSS under 150 MB (every length)",
                all(v < 150 for v in peaks.values()),
                ", ".join(f"{k}: {v:.0f} MB" for k, v in peaks.items())))
    a, b = small["warm"]["maxrss_mb"], large["warm"]["maxrss_mb"]
    spread = abs(b - a) / min(a, b)
    out.append((f"warm peak RSS of {small['session']} and {large['session']} within 10%",
                spread <= 0.10, f"{a:.0f} vs {b:.0f} MB ({spread:+.1%})".replace("+", "")))
    if medium["script"] == large["script"]:  # same speech: shows what length alone does
        c, e = medium["warm"]["maxrss_mb"], large["warm"]["maxrss_mb"]
        out.append(((f"(information) warm peak RSS of {medium['session']} and "
                    f"{large['session']}, same script"), None,
                    f"{c:.0f} vs {e:.0f} MB ({abs(e - c) / min(c, e):.1%})"))
    out.append((f"cold {medium['session']} render under 35 s",
                medium["cold"]["wall_s"] < 35, f"{medium['cold']['wall_s']:.1f} s"))
    worst = max(v["wall_s"] for v in check.values())
    out.append(("`check scripts/deep-psoas-release.yaml` under 0.5 s", worst < 0.5,
                ", ".join(f"{k.replace('_', ' ')}: {v['wall_s']:.2f} s"
                          for k, v in check.items())))
    return out


def table(rows: list[dict]) -> str:
    head = ("| session | script | audio | warm s | cold s | baseline s | baseline mix+enc s "
            "| floor s | floor all cores s | speed-up (baseline/warm) | warm/floor "
            "| warm/floor all cores | RSS warm MB | RSS cold MB "
            "| RSS baseline MB | RSS floor MB |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['session']} | {Path(r['script']).name} --length {r['length']} "
            f"| {r['length_s'] / 60:.1f} min | {r['warm']['wall_s']:.2f} "
            f"| {r['cold']['wall_s']:.2f} | {r['baseline']['wall_s']:.2f} "
            f"| {r['baseline']['mix_encode_s']:.2f} | {r['floor']['wall_s']:.2f} "
            f"| {r['floor_all_cores']['wall_s']:.2f} "
            f"| {r['speedup']:.1f}x | {r['warm_over_floor']:.2f}x "
            f"| {r['warm_over_floor_all_cores']:.2f}x "
            f"| {r['warm']['maxrss_mb']:.0f} | {r['cold']['maxrss_mb']:.0f} "
            f"| {r['baseline']['maxrss_mb']:.0f} | {r['floor']['maxrss_mb']:.0f} |")
    return "\n".join(lines)


def tree_table(rows: list[dict]) -> str:
    lines = ["| session | warm | cold | baseline | floor |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['session']} | " + " | ".join(
            f"{r[k]['tree_peak_mb']:.0f}" for k in ("warm", "cold", "baseline", "floor")) + " |")
    return "\n".join(lines)


def report(result: dict) -> str:
    rows = result["sessions"]
    by_role = {r["role"]: r for r in rows}
    medium = by_role["medium"]
    t = targets(by_role, result["check"])
    result["targets"] = [{"target": n, "pass": ok, "measured": m} for n, ok, m in t
                         if ok is not None]
    out = [table(rows), ""]
    if result["code_changed"]:
        out += [("**Warning: the project's code (audio_builder/ or the baseline) changed while "
                "this ran, so these rows may mix two versions; run again.**"), ""]
    if result["quick"]:
        out += [("*Quick run: shorter sessions than the targets name (the 45- and 180-minute "
                "targets are checked on the medium and large rows), so the verdicts below "
                "are indicative only.*"), ""]
    out += ["Targets:", ""]
    out += [f"- {verdict(ok) + ': ' if ok is not None else ''}{name} — {m}" for name, ok, m in t]
    syn = medium["synthesized"]
    out += ["",
            f"Cold synthesis speed ({medium['session']}): {syn['unique_speech_s']:.0f} s of "
            f"speech ({syn['unique_texts']} distinct texts) in {medium['cold']['wall_s']:.1f} s "
            f"= {medium['cold_synth_speed']}x real time for the whole cold render"
            + (f"; {medium['cold_synth_speed_excl_warm']}x counting only the time over the "
               f"warm render ({medium['cold']['wall_s'] - medium['warm']['wall_s']:.1f} s)"
               if medium["cold_synth_speed_excl_warm"] else "") + ".",
            "",
            ("Peak RSS of the whole process tree (MB, summed over the processes alive at once, "
            "sampled every 50 ms; the columns above are the largest single process):"),
            "",
            tree_table(rows)]
    return "\n".join(out)
