FROM 'scratch
