{#- ELG-08 重复享受 (§22): the same person is a member of more than one assisted
    dibao, tekun or edge household. household_id is the first of them; the
    evidence lists all. -#}
{{ config(tags=['warning_rule']) }}

with per_person as (
    select
        id_number,
        count(distinct household_id) as household_count,
        string_agg(household_id || ' ' || assistance_type, '; ' order by household_id) as households,
        min(household_id) as first_household_id
    from {{ ref('wrn_helper_assisted_members') }}
    group by id_number
    having count(distinct household_id) > 1
)

select
    'ELG-08' as rule_id,
    'person' as subject_type,
    per_person.id_number as subject_key,
    per_person.id_number,
    per_person.first_household_id as household_id,
    members.region_code,
    'high' as severity,
    cast(json_object(
        'household_count', per_person.household_count,
        'households', per_person.households
    ) as varchar) as evidence
from per_person
inner join {{ ref('wrn_helper_assisted_members') }} as members
    on per_person.id_number = members.id_number
    and members.is_primary_household
