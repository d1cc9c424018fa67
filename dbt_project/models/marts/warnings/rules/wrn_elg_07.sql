{#- ELG-07 经营企业 (§22): a member of an assisted dibao, tekun or edge household
    is legal representative of an active company, or of any active entity with
    registered capital above `business_capital_limit`. -#}
{{ config(tags=['warning_rule']) }}

with counted_entities as (
    select *
    from {{ ref('stg_mr_business') }}
    where status = 'active'
      and (entity_type = 'company' or registered_capital > cast({{ rule_param('business_capital_limit') }} as decimal(14, 2)))
),

per_person as (
    select
        legal_rep_id_number,
        count(*) as entity_count,
        string_agg(credit_code || ' ' || entity_type, '; ' order by credit_code) as entities,
        max(registered_capital) as max_registered_capital
    from counted_entities
    group by legal_rep_id_number
)

select
    'ELG-07' as rule_id,
    'person' as subject_type,
    members.id_number as subject_key,
    members.id_number,
    members.household_id,
    members.region_code,
    'medium' as severity,
    cast(json_object(
        'entity_count', per_person.entity_count,
        'entities', per_person.entities,
        'max_registered_capital', per_person.max_registered_capital,
        'business_capital_limit', cast({{ rule_param('business_capital_limit') }} as decimal(14, 2))
    ) as varchar) as evidence
from {{ ref('wrn_helper_assisted_members') }} as members
inner join per_person on members.id_number = per_person.legal_rep_id_number
where members.is_primary_household
