-- Roles (of users and API keys) and programmes (of organisations) were comma lists
-- in one text column ("globalAdmin,billingAdmin"), searched with LIKE. They are
-- rows now: one per holder and name, the name checked by the database and found
-- by index. Existing lists are split into rows, then the columns go.
CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('globalAdmin', 'userManagementAdmin', 'billingAdmin',
        'adminAgent', 'salesAgent', 'helpdeskAgent')),
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role_idx ON user_roles (role, user_id);
INSERT INTO user_roles (user_id, role)
SELECT DISTINCT t.id, item FROM users t, unnest(string_to_array(t.roles, ',')) AS item WHERE item <> '';
ALTER TABLE users DROP COLUMN roles;

CREATE TABLE api_key_roles (
    api_key_id TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('globalAdmin', 'userManagementAdmin', 'billingAdmin',
        'adminAgent', 'salesAgent', 'helpdeskAgent')),
    PRIMARY KEY (api_key_id, role)
);
INSERT INTO api_key_roles (api_key_id, role)
SELECT DISTINCT t.id, item FROM api_keys t, unnest(string_to_array(t.roles, ',')) AS item WHERE item <> '';
ALTER TABLE api_keys DROP COLUMN roles;

CREATE TABLE organization_programs (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    program TEXT NOT NULL CHECK (program IN ('indirectReseller', 'indirectProvider')),
    PRIMARY KEY (organization_id, program)
);
CREATE INDEX organization_programs_program_idx ON organization_programs (program, organization_id);
INSERT INTO organization_programs (organization_id, program)
SELECT DISTINCT t.id, item FROM organizations t, unnest(string_to_array(t.programs, ',')) AS item WHERE item <> '';
ALTER TABLE organizations DROP COLUMN programs;
