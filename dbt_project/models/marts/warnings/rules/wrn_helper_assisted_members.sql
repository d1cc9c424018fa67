{#- Members of the households the eligibility rules look at (rules.md: "assisted
    households of type dibao, tekun or edge unless a rule says otherwise").
    `is_primary_household` picks one household per person (the smallest
    household_id) so that a person-level warning has exactly one row even when the
    person sits in two households (that is ELG-08). -#}
{{ config(schema='intermediate', materialized='table') }}

with members as (
    select
        household_id,
        id_number,
        name,
        relation,
        covered,
        labor_capacity,
        self_care,
        monthly_income,
        birth_date,
        age,
        head_id_number,
        assistance_type,
        dibao_class,
        status,
        urban_rural,
        single_person,
        region_code,
        banner_code,
        member_count
    from {{ ref('int_household_members') }}
    where is_assisted
      and assistance_type in ('dibao', 'tekun', 'edge')
)

select
    *,
    row_number() over (partition by id_number order by household_id) = 1 as is_primary_household
from members
