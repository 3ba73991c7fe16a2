"""``mdptheory solve INSTANCE --robust ...`` prints the robust policy beside the nominal one."""

from mdptheory.cli import main


def _table(out: str) -> dict[str, tuple[float, float]]:
    rows = {}
    for line in out.splitlines():
        parts = line.rsplit(maxsplit=2)
        if len(parts) == 3 and parts[0].strip() in (
            "nominal kernel",
            "worst kernel for the robust policy",
            "worst kernel for the nominal policy",
            "robust value (inf over the set)",
        ):
            rows[parts[0].strip()] = (float(parts[1]), float(parts[2]))
    return rows


def test_robust_kl_ball_on_the_safe_vs_fast_route(capsys):
    assert main(["solve", "safe_vs_fast_route", "--robust", "kl", "--radius", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "kl(rho=0.1)" in out and "robust policy pi[s]" in out
    assert "nominal policy pi[s]" in out and "differ at 1 of 6" in out
    rows = _table(out)
    assert len(rows) == 4
    robust, nominal = rows["nominal kernel"]
    assert nominal > robust  # the nominal optimum wins on the nominal kernel
    robust, nominal = rows["worst kernel for the nominal policy"]
    assert robust > nominal  # the robust policy wins where nature plays against the nominal one


def test_robust_penalty_on_an_episodic_instance(capsys):
    assert main(["solve", "safe_vs_risky_route", "--robust", "chi2", "--penalty", "1"]) == 0
    out = capsys.readouterr().out
    assert "chi2(lam=1)" in out and "leave out the penalty" in out and "pi[h, s]" in out


def test_robust_needs_exactly_one_of_radius_and_penalty(capsys):
    assert main(["solve", "--robust", "tv"]) == 2
    assert "exactly one of --radius" in capsys.readouterr().err
    assert main(["solve", "--robust", "tv", "--radius", "-0.5"]) == 2
    assert "radius must lie in" in capsys.readouterr().err
