import pytest

# The fixture modules hold assertions too; rewrite them for readable failures.
pytest.register_assert_rewrite("tests.fixtures")
