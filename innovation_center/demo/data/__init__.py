"""Name lists and fixed figures for the demo center (`manage.py seed_demo`), one module
per area of the seed: `network`, `compute`, `companies`, `talent`, `people`.

The figures follow the article about the Wuhan AI Computing Center (武汉人工智能计算中心):
100+ companies, 50+ solutions, 105 courses for 16,000+ students in 2021, crowd-development
tasks of 160 operators, 25 models and 1 application, and a compute network of Wuhan,
Shenzhen, Xi'an, Chengdu and Nanjing.
"""
