{#- ELG-02 已故成员未减员 (§7): a member of an assisted dibao, tekun or edge
    household who died on or before as_of is still on the member roll. -#}
{{ config(tags=['warning_rule']) }}

select
    'ELG-02' as rule_id,
    'person' as subject_type,
    members.id_number as subject_key,
    members.id_number,
    members.household_id,
    members.region_code,
    'medium' as severity,
    cast(json_object(
        'death_date', deaths.death_date,
        'assistance_type', members.assistance_type,
        'relation', members.relation,
        'covered', members.covered,
        'member_count', members.member_count
    ) as varchar) as evidence
from {{ ref('wrn_helper_assisted_members') }} as members
inner join {{ ref('int_deaths') }} as deaths on members.id_number = deaths.id_number
where members.is_primary_household
  and deaths.death_date <= {{ as_of() }}
