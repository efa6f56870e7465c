"""The bench's report: targets as ratios from one run, and the markdown tables."""

from __future__ import annotations

from pathlib import Path


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def targets(rows: dict[str, dict], check: dict) -> list[tuple[str, bool | None, str]]:
    small, medium, large = rows["small"], rows["medium"], rows["large"]
    out: list[tuple[str, bool | None, str]] = []
    out.append((f"warm {medium['session']} at least 3x faster than the baseline",
                medium["speedup"] >= 3, f"{medium['speedup']}x"))
    out.append((f"warm {large['session']} at least 10x faster than the baseline",
                large["speedup"] >= 10, f"{large['speedup']}x"))
    if "previous" in large:
        out.append((f"warm {large['session']} at least 2.5x faster than the previous "
                    f"(two-part) render, {large['previous']['commit']}",
                    large["previous_over_warm"] >= 2.5, f"{large['previous_over_warm']}x"))
    if medium["script"] == large["script"]:  # the same words: only the silence differs
        ratio = large["warm"]["wall_s"] / medium["warm"]["wall_s"]
        out.append((f"warm {large['session']} within 1.5x of warm {medium['session']} "
                    "(same script)", ratio <= 1.5,
                    f"{large['warm']['wall_s']:.2f} / {medium['warm']['wall_s']:.2f} s = "
                    f"{ratio:.2f}x"))
    out.append((f"warm {small['session']} within 1.3x of the bare encode of its sounding "
                "parts", small["warm_over_floor_sounding"] <= 1.3,
                ", ".join(f"{r['session']}: {r['warm_over_floor_sounding']}x"
                          for r in rows.values())))
    peaks = {r["session"]: r["warm"]["maxrss_mb"] for r in rows.values()}
    out.append(("warm peak RSS under 150 MB (every length)",
                all(v < 150 for v in peaks.values()),
                ", ".join(f"{k}: {v:.0f} MB" for k, v in peaks.items())))
    a, b = small["warm"]["maxrss_mb"], large["warm"]["maxrss_mb"]
    spread = abs(b - a) / min(a, b)
    out.append((f"warm peak RSS of {small['session']} and {large['session']} within 10%",
                spread <= 0.10, f"{a:.0f} vs {b:.0f} MB ({spread:+.1%})".replace("+", "")))
    out.append((f"cold {medium['session']} render under 35 s",
                medium["cold"]["wall_s"] < 35, f"{medium['cold']['wall_s']:.1f} s"))
    worst = max(v["wall_s"] for v in check.values())
    out.append(("`check scripts/deep-psoas-release.yaml` under 0.35 s", worst < 0.35,
                ", ".join(f"{k.replace('_', ' ')}: {v['wall_s']:.2f} s"
                          for k, v in check.items())))
    out.append(("(information) warm / bare encode of the whole session, on one core and on "
                "all cores", None,
                ", ".join(f"{r['session']}: {r['warm_over_floor']}x, "
                          f"{r['warm_over_floor_all_cores']}x" for r in rows.values())))
    return out


def table(rows: list[dict]) -> str:
    head = ("| session | script | audio | sounding | warm s | previous s | cold s | baseline s "
            "| floor s | floor all cores s | floor sounding s | baseline/warm "
            "| previous/warm | warm/floor sounding | RSS warm MB | RSS cold MB "
            "| RSS baseline MB | RSS floor MB |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        prev = r.get("previous")
        lines.append(
            f"| {r['session']} | {Path(r['script']).name} --length {r['length']} "
            f"| {r['length_s'] / 60:.1f} min "
            f"| {r['floor_sounding']['sounding_s'] / r['length_s']:.0%} "
            f"in {r['floor_sounding']['parts']} parts "
            f"| {r['warm']['wall_s']:.2f} | {prev['wall_s'] if prev else float('nan'):.2f} "
            f"| {r['cold']['wall_s']:.2f} | {r['baseline']['wall_s']:.2f} "
            f"| {r['floor']['wall_s']:.2f} | {r['floor_all_cores']['wall_s']:.2f} "
            f"| {r['floor_sounding']['wall_s']:.2f} "
            f"| {r['speedup']:.1f}x | {r.get('previous_over_warm', float('nan')):.1f}x "
            f"| {r['warm_over_floor_sounding']:.2f}x "
            f"| {r['warm']['maxrss_mb']:.0f} | {r['cold']['maxrss_mb']:.0f} "
            f"| {r['baseline']['maxrss_mb']:.0f} | {r['floor']['maxrss_mb']:.0f} |")
    return "\n".join(lines)


def tree_table(rows: list[dict]) -> str:
    lines = ["| session | warm | cold | baseline | floor |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['session']} | " + " | ".join(
            f"{r[k]['tree_peak_mb']:.0f}" for k in ("warm", "cold", "baseline", "floor")) + " |")
    return "\n".join(lines)


def natural_voice(v: dict) -> str:
    """The natural voice's line: its synthesis speed across every core."""
    return (f"Cold render with the natural voice ({v['voice']}, {v['script']}): "
            f"{v['cold_s']:.1f} s cold, {v['warm_s']:.1f} s warm, for {v['speech_s']:.0f} s of "
            f"distinct speech: it speaks at {v['synth_speed']}x real time across every core "
            f"(speech s / (cold - warm)); peak memory of all its processes "
            f"{v['cold_tree_peak_mb']} MB.")


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
            natural_voice(result["natural_voice"]),
            "",
            ("Peak RSS of the whole process tree (MB, summed over the processes alive at once, "
            "sampled every 50 ms; the columns above are the largest single process):"),
            "",
            tree_table(rows)]
    return "\n".join(out)
