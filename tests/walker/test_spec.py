import dataclasses

import pytest

from walker.sim.spec import HenrySpec, SpecError


def test_defaults_are_valid_and_in_si_units():
    spec = HenrySpec()
    assert spec.physics_dt_s == pytest.approx(spec.control_dt_s / spec.substeps)
    assert spec.lifted_drop_m < spec.stand_drop_m
    # Soles longer than the torso let Henry balance on one foot.
    assert spec.sole_length_m > spec.torso_width_m


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("torso_mass_kg", -1.0, "torso_mass_kg must be positive"),
        ("substeps", 0, "substeps must be a whole number >= 1"),
        ("substeps", 2.5, "substeps must be a whole number >= 1"),
        ("foot_friction", float("nan"), "foot_friction must be finite"),
        ("hip_max_torque_nm", "strong", "hip_max_torque_nm must be a number"),
        ("leg_min_length_m", 0.6, "leg_min_length_m"),
        ("lift_height_m", 0.3, "must be at least leg_min_length_m"),
        ("swing_limit_rad", 1.2, "leg_max_length_m"),
        ("bump_height_m", -0.01, "bump_height_m must be 0 \\(flat\\) or positive"),
        ("bump_length_m", 0.6, "bump_length_m .* must be below bump_spacing_m"),
        ("bump_spacing_m", 0.0, "bump_spacing_m must be positive"),
    ],
)
def test_invalid_values_raise_a_clear_error(field, value, message):
    with pytest.raises(SpecError, match=message):
        HenrySpec(**{field: value})


def test_spec_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        HenrySpec().torso_mass_kg = 2.0  # type: ignore[misc]


def test_dict_round_trip_and_unknown_keys():
    spec = HenrySpec(torso_mass_kg=2.5)
    assert HenrySpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(SpecError, match="unknown HenrySpec field"):
        HenrySpec.from_dict({**spec.to_dict(), "wings": 2})


def test_overrides_replace_named_fields_and_list_the_valid_names_on_a_typo():
    spec = HenrySpec.with_overrides({"ground_friction": 0.5, "bump_height_m": 0.02})
    assert spec == HenrySpec(ground_friction=0.5, bump_height_m=0.02)
    with pytest.raises(
        SpecError,
        match=r"unknown HenrySpec field.*gruond_friction; valid names "
        r"are gravity_m_s2, .*ground_friction",
    ):
        HenrySpec.with_overrides({"gruond_friction": 0.5})
    assert HenrySpec().bump_height_m == 0.0  # flat ground by default
