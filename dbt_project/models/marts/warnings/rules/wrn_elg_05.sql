{#- ELG-05 房产超标 (§22): the members of an assisted dibao, tekun or edge
    household together own more than `max_residences` residential properties, or
    any commercial or industrial one (each certificate counted once). -#}
{{ config(tags=['warning_rule']) }}

with household_properties as (
    select distinct
        members.household_id,
        estate.certificate_no,
        estate.property_use,
        estate.area_sqm
    from {{ ref('wrn_helper_assisted_members') }} as members
    inner join {{ ref('stg_nr_real_estate') }} as estate on members.id_number = estate.owner_id_number
),

per_household as (
    select
        household_id,
        count(*) filter (where property_use = 'residential') as residential_count,
        count(*) filter (where property_use = 'commercial') as commercial_count,
        count(*) filter (where property_use = 'industrial') as industrial_count,
        string_agg(certificate_no || ' ' || property_use, '; ' order by certificate_no) as properties
    from household_properties
    group by household_id
),

households as (
    select distinct household_id, head_id_number, region_code
    from {{ ref('wrn_helper_assisted_members') }}
)

select
    'ELG-05' as rule_id,
    'household' as subject_type,
    households.household_id as subject_key,
    households.head_id_number as id_number,
    households.household_id,
    households.region_code,
    'medium' as severity,
    cast(json_object(
        'residential_count', per_household.residential_count,
        'max_residences', cast({{ rule_param('max_residences') }} as integer),
        'commercial_count', per_household.commercial_count,
        'industrial_count', per_household.industrial_count,
        'properties', per_household.properties
    ) as varchar) as evidence
from per_household
inner join households on per_household.household_id = households.household_id
where per_household.residential_count > {{ rule_param('max_residences') }}
   or per_household.commercial_count > 0
   or per_household.industrial_count > 0
