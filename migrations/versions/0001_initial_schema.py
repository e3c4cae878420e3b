"""Initial schema: partners, data domains, households, persons, cases, entries, staff, audit trail.

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 16:50:32.124637
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('partner_code', sa.String(length=40), nullable=True),
    sa.Column('role', sa.String(length=40), nullable=True),
    sa.Column('on_behalf_of', sa.String(length=100), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('processing_activity', sa.String(length=100), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('confidentiality', sa.String(length=20), nullable=False),
    sa.Column('retain_until', sa.Date(), nullable=False),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_entry_seq'))
    )
    op.create_index(op.f('ix_audit_entry_case_id'), 'audit_entry', ['case_id'], unique=False)
    op.create_index(op.f('ix_audit_entry_person_id'), 'audit_entry', ['person_id'], unique=False)
    op.create_index(op.f('ix_audit_entry_user_id'), 'audit_entry', ['user_id'], unique=False)
    op.create_table('data_domain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_nl', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('special_category', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('criminal', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_domain')),
    sa.UniqueConstraint('code', name=op.f('uq_data_domain_code'))
    )
    op.create_table('household',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('house_number', sa.String(length=20), nullable=False),
    sa.Column('postcode', sa.String(length=7), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('wijk', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household'))
    )
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    op.create_index(op.f('ix_login_attempt_address'), 'login_attempt', ['address'], unique=False)
    op.create_index(op.f('ix_login_attempt_at'), 'login_attempt', ['at'], unique=False)
    op.create_table('partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_municipal', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('professional_secrecy', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('participation', sa.Enum('core', 'schilpartner', 'incidental', 'chain', name='participation', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('statutory_task', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner')),
    sa.UniqueConstraint('code', name=op.f('uq_partner_code')),
    sa.UniqueConstraint('name', name=op.f('uq_partner_name'))
    )
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('bsn_hash', sa.String(length=64), nullable=True),
    sa.Column('bsn_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('legal_representative_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(bsn_hash IS NULL) = (bsn_encrypted IS NULL)', name=op.f('ck_person_bsn_hash_with_value')),
    sa.CheckConstraint('legal_representative_id IS NULL OR legal_representative_id != id', name=op.f('ck_person_not_own_representative')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_person_household_id_household')),
    sa.ForeignKeyConstraint(['legal_representative_id'], ['person.id'], name=op.f('fk_person_legal_representative_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('bsn_hash', name=op.f('uq_person_bsn_hash'))
    )
    op.create_index(op.f('ix_person_household_id'), 'person', ['household_id'], unique=False)
    op.create_index(op.f('ix_person_legal_representative_id'), 'person', ['legal_representative_id'], unique=False)
    op.create_table('staff_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('procesregisseur', 'management_assistant', 'team_member', 'case_manager', 'incidental_professional', 'privacy_desk', 'statistics', 'admin', name='role', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('vog_date', sa.Date(), nullable=True),
    sa.Column('confidentiality_signed_on', sa.Date(), nullable=True),
    sa.Column('totp_secret', sa.LargeBinary(), nullable=True),
    sa.Column('totp_confirmed', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_staff_user_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_user')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_user_email'))
    )
    op.create_index(op.f('ix_staff_user_partner_id'), 'staff_user', ['partner_id'], unique=False)
    op.create_table('regie_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.SmallInteger(), nullable=False),
    sa.Column('decision', sa.Enum('pending', 'pick_up', 'not_picked_up', 'scale_up', 'scale_down', name='decision', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('procesregisseur_id', sa.Integer(), nullable=False),
    sa.Column('case_manager_id', sa.Integer(), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.CheckConstraint("decision != 'not_picked_up' OR phase <= 3", name=op.f('ck_regie_case_not_picked_up_stays_early')),
    sa.CheckConstraint("phase <= 3 OR decision != 'pending'", name=op.f('ck_regie_case_decided_from_phase_4')),
    sa.CheckConstraint('closed_on IS NULL OR closed_on >= opened_on', name=op.f('ck_regie_case_closed_after_open')),
    sa.CheckConstraint('phase BETWEEN 1 AND 8', name=op.f('ck_regie_case_phase_range')),
    sa.ForeignKeyConstraint(['case_manager_id'], ['staff_user.id'], name=op.f('fk_regie_case_case_manager_id_staff_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_regie_case_household_id_household')),
    sa.ForeignKeyConstraint(['procesregisseur_id'], ['staff_user.id'], name=op.f('fk_regie_case_procesregisseur_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regie_case')),
    sa.UniqueConstraint('reference', name=op.f('uq_regie_case_reference'))
    )
    op.create_index(op.f('ix_regie_case_case_manager_id'), 'regie_case', ['case_manager_id'], unique=False)
    op.create_index(op.f('ix_regie_case_household_id'), 'regie_case', ['household_id'], unique=False)
    op.create_table('case_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('problem_outline', 'plan', 'product_order', 'progress', 'action', 'involved_organisation', name='entry_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('source_partner_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['staff_user.id'], name=op.f('fk_case_entry_author_id_staff_user')),
    sa.ForeignKeyConstraint(['case_id'], ['regie_case.id'], name=op.f('fk_case_entry_case_id_regie_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['domain_id'], ['data_domain.id'], name=op.f('fk_case_entry_domain_id_data_domain')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_case_entry_person_id_person')),
    sa.ForeignKeyConstraint(['source_partner_id'], ['partner.id'], name=op.f('fk_case_entry_source_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_entry'))
    )
    op.create_index(op.f('ix_case_entry_case_id'), 'case_entry', ['case_id'], unique=False)
    op.create_index(op.f('ix_case_entry_person_id'), 'case_entry', ['person_id'], unique=False)
    op.create_table('case_membership',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['regie_case.id'], name=op.f('fk_case_membership_case_id_regie_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_case_membership_user_id_staff_user')),
    sa.PrimaryKeyConstraint('case_id', 'user_id', name=op.f('pk_case_membership'))
    )
    op.create_table('case_team',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['regie_case.id'], name=op.f('fk_case_team_case_id_regie_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_case_team_partner_id_partner')),
    sa.PrimaryKeyConstraint('case_id', 'partner_id', name=op.f('pk_case_team'))
    )


def downgrade():
    op.drop_table('case_team')
    op.drop_table('case_membership')
    op.drop_index(op.f('ix_case_entry_person_id'), table_name='case_entry')
    op.drop_index(op.f('ix_case_entry_case_id'), table_name='case_entry')
    op.drop_table('case_entry')
    op.drop_index(op.f('ix_regie_case_household_id'), table_name='regie_case')
    op.drop_index(op.f('ix_regie_case_case_manager_id'), table_name='regie_case')
    op.drop_table('regie_case')
    op.drop_index(op.f('ix_staff_user_partner_id'), table_name='staff_user')
    op.drop_table('staff_user')
    op.drop_index(op.f('ix_person_legal_representative_id'), table_name='person')
    op.drop_index(op.f('ix_person_household_id'), table_name='person')
    op.drop_table('person')
    op.drop_table('partner')
    op.drop_index(op.f('ix_login_attempt_at'), table_name='login_attempt')
    op.drop_index(op.f('ix_login_attempt_address'), table_name='login_attempt')
    op.drop_table('login_attempt')
    op.drop_table('household')
    op.drop_table('data_domain')
    op.drop_index(op.f('ix_audit_entry_user_id'), table_name='audit_entry')
    op.drop_index(op.f('ix_audit_entry_person_id'), table_name='audit_entry')
    op.drop_index(op.f('ix_audit_entry_case_id'), table_name='audit_entry')
    op.drop_table('audit_entry')
