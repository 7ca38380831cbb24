"""Two wordings read on the fourth hold-out set after it was scored (in-sample fixes: they
count for nothing in its figures), each pinned both ways on the rules alone."""

from __future__ import annotations

from benchmarks.doctor.rulebook import MAX_FINDINGS, ranked_by_rules

CLI = "nvidia-container-cli: requirement error: unsatisfied condition: "
SYSTEMD = "Nov 13 22:33:04 host systemd-modules-load[500]: Failed to insert module "


def _codes(log: str) -> list[str]:
    return [c.code.value for c in ranked_by_rules(log)[:MAX_FINDINGS]]


def test_the_container_cli_cuda_requirement_with_spaces_is_a_driver_too_old() -> None:
    assert _codes(f"{CLI}cuda >= 9.2\n")[0] == "driver_too_old_for_cuda"
    assert _codes(f"{CLI}cuda>=11.8, please update your driver\n")[0] == "driver_too_old_for_cuda"
    assert _codes(f"{CLI}brand = tesla\n") == ["unexplained"]  # not a CUDA requirement


def test_systemd_failing_to_insert_the_uvm_module_is_the_uvm_class() -> None:
    assert _codes(f"{SYSTEMD}'nvidia_uvm': No such device\n")[0] == "uvm_device_node_or_suspend"
    assert "uvm_device_node_or_suspend" not in _codes(f"{SYSTEMD}'nvidia': No such device\n")
