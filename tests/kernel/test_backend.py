"""Choosing the implementation: IC_KERNEL and a missing build."""

import sys

import pytest

from innovation_center.kernel import KernelUnavailable, _reference
from innovation_center.kernel.backend import select_implementation


def test_it_uses_the_reference_when_forced(monkeypatch):
    monkeypatch.setenv("IC_KERNEL", "reference")
    assert select_implementation() == ("reference", _reference)


def test_it_fails_loudly_when_compiled_is_demanded_but_missing(monkeypatch):
    monkeypatch.setenv("IC_KERNEL", "compiled")
    monkeypatch.setitem(sys.modules, "innovation_center.kernel._kernel", None)
    with pytest.raises(KernelUnavailable) as caught:
        select_implementation()
    assert caught.value.code == "kernel_not_built"
    assert "build_ext --inplace" in caught.value.message


def test_it_falls_back_to_the_reference_when_not_built(monkeypatch):
    monkeypatch.delenv("IC_KERNEL", raising=False)
    monkeypatch.setitem(sys.modules, "innovation_center.kernel._kernel", None)
    assert select_implementation()[0] == "reference"


def test_it_uses_the_compiled_kernel_when_built(monkeypatch):
    monkeypatch.delenv("IC_KERNEL", raising=False)
    assert select_implementation()[0] == "compiled"


def test_it_refuses_an_unknown_choice(monkeypatch):
    monkeypatch.setenv("IC_KERNEL", "fast")
    with pytest.raises(KernelUnavailable):
        select_implementation()
