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
    with pytest.raises(SpecError, match="unknown HenrySpec parameter"):
        HenrySpec.from_dict({**spec.to_dict(), "wings": 2})
