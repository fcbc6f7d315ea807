//! What several stories start from, written once.

use interdict_tests::{Response, TestApp};
use serde_json::json;
use uuid::Uuid;

/// The id of a record the request created; fails the test otherwise.
pub fn created(response: Response) -> Uuid {
    assert_eq!(response.status, 201, "{}", response.text);
    response.id()
}

/// Three agencies: HSI Houston (`a`) and Harris County Sheriff (`b`) in the
/// Houston HIDTA task force, and Phoenix PD (`c`) outside it.
pub struct HoustonHidta {
    pub a: Uuid,
    pub c: Uuid,
    pub task_force: Uuid,
}

impl HoustonHidta {
    /// Creates the agencies and the task force, then `users` as
    /// (agency `'a'`, `'b'` or `'c'`, username, role).
    pub fn create(app: &TestApp, users: &[(char, &str, &str)]) -> Self {
        let a = app.create_agency("HSI Houston", "TXHSI0100", "federal", "US");
        let b = app.create_agency("Harris County Sheriff", "TX1010000", "local", "TX");
        let c = app.create_agency("Phoenix PD", "AZ0072300", "local", "AZ");
        for &(agency, name, role) in users {
            let agency = match agency {
                'a' => a,
                'b' => b,
                'c' => c,
                other => panic!("no agency {other:?} in the Houston HIDTA world"),
            };
            app.create_user(agency, name, role);
        }
        let tf = app.post(
            "/api/v1/task-forces",
            &app.admin_token(),
            json!({ "name": "Houston HIDTA", "members": [a, b] }),
        );
        let task_force = created(tf);
        Self { a, c, task_force }
    }
}
