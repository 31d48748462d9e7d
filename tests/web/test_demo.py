from flask.testing import FlaskCliRunner


def test_demo_command_prepares_database(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "demo" in result.output
