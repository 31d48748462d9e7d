from flask.testing import FlaskClient


def test_home_page(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"Urna" in response.data


def test_unknown_api_path_is_json_404(client: FlaskClient) -> None:
    response = client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
