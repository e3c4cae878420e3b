from portal.models import Role
from tests import factories as f


def test_case_page_visible_to_procesregisseur(client, auth, seed):
    with seed():
        regisseur = f.user(Role.PROCESREGISSEUR)
        case = f.case(procesregisseur=regisseur)
        ids = (regisseur, case.id, case.reference)
    auth.login(ids[0])
    response = client.get(f"/cases/{ids[1]}")
    assert response.status_code == 200
    assert ids[2] in response.get_data(as_text=True)
