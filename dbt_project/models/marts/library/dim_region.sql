-- League -> banner/zone -> township, with names (the `regions` seed); levels in _library.yml. Village codes
-- (12 digits) roll up to a township by their first 9 digits.
with regions as (
    select * from {{ ref('regions') }}
),

banners as (
    select code, name from regions where level in ('banner', 'zone')
)

select
    regions.code as region_code,
    regions.name as region_name,
    regions.level as region_level,
    regions.parent_code,
    case when regions.level = 'league' then null else {{ banner_of('regions.code') }} end as banner_code,
    banners.name as banner_name,
    '152900' as league_code
from regions
left join banners
    on regions.level <> 'league'
    and banners.code = {{ banner_of('regions.code') }}
