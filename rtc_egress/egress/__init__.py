"""The egress component: runs one native recorder process per claimed task."""
