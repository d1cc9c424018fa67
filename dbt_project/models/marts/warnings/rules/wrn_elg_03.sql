{#- ELG-03 财政供养人员 (§22): a member of an assisted dibao, tekun or edge
    household is on the fiscal payroll (since on or before as_of). -#}
{{ config(tags=['warning_rule']) }}

select
    'ELG-03' as rule_id,
    'person' as subject_type,
    members.id_number as subject_key,
    members.id_number,
    members.household_id,
    members.region_code,
    'high' as severity,
    cast(json_object(
        'employer_unit', payroll.employer_unit,
        'payroll_since', payroll.since,
        'assistance_type', members.assistance_type,
        'relation', members.relation
    ) as varchar) as evidence
from {{ ref('wrn_helper_assisted_members') }} as members
inner join {{ ref('stg_fin_fiscal_payroll') }} as payroll on members.id_number = payroll.id_number
where members.is_primary_household
  and payroll.since <= {{ as_of() }}
