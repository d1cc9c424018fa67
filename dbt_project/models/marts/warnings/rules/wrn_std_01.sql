{#- STD-01 特困基本生活标准低于低保1.3倍 (§6): for each banner (and the high-tech
    zone), the tekun basic standard in force on as_of is below `tekun_multiple` ×
    the dibao standard in force on as_of, for the urban or the rural kind (the
    required amount is rounded to the fen before comparing; equal passes). A kind
    with either standard missing is not judged. Subject: the banner. -#}
{{ config(tags=['warning_rule']) }}

with banners as (
    select code as banner_code
    from {{ ref('regions') }}
    where level in ('banner', 'zone')
),

kinds as (
    select 'urban' as urban_rural
    union all
    select 'rural' as urban_rural
),

standards_in_force as (
    select
        banners.banner_code,
        kinds.urban_rural,
        {{ standard_in_force('banners.banner_code', "'tekun_basic_' || kinds.urban_rural", as_of()) }}
            as tekun_basic,
        {{ standard_in_force('banners.banner_code', "'dibao_' || kinds.urban_rural", as_of()) }}
            as dibao
    from banners
    cross join kinds
),

compared as (
    select
        *,
        round({{ rule_param('tekun_multiple') }} * dibao, 2) as required_tekun_basic,
        tekun_basic < round({{ rule_param('tekun_multiple') }} * dibao, 2) as below
    from standards_in_force
),

by_banner as (
    select
        banner_code,
        max(tekun_basic) filter (where urban_rural = 'urban') as tekun_basic_urban,
        max(dibao) filter (where urban_rural = 'urban') as dibao_urban,
        max(required_tekun_basic) filter (where urban_rural = 'urban') as required_urban,
        max(tekun_basic) filter (where urban_rural = 'rural') as tekun_basic_rural,
        max(dibao) filter (where urban_rural = 'rural') as dibao_rural,
        max(required_tekun_basic) filter (where urban_rural = 'rural') as required_rural,
        string_agg(urban_rural, ',' order by urban_rural) filter (where below) as failing_kinds
    from compared
    group by banner_code
)

select
    'STD-01' as rule_id,
    'region' as subject_type,
    banner_code as subject_key,
    cast(null as varchar) as id_number,
    cast(null as varchar) as household_id,
    banner_code as region_code,
    'high' as severity,
    cast(json_object(
        'failing_kinds', failing_kinds,
        'tekun_basic_urban', tekun_basic_urban,
        'dibao_urban', dibao_urban,
        'required_urban', required_urban,
        'tekun_basic_rural', tekun_basic_rural,
        'dibao_rural', dibao_rural,
        'required_rural', required_rural,
        'tekun_multiple', {{ rule_param('tekun_multiple') }},
        'as_of', {{ as_of() }}
    ) as varchar) as evidence
from by_banner
where failing_kinds is not null
