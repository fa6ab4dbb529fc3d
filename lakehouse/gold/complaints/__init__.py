"""Complaint text mining (投诉举报): jieba segmentation on Spark, hot words, TF-IDF keywords,
rising words, co-occurrence, district x industry hotspots, word clouds.

Modules: ``settings`` (configuration), ``source`` (silver inputs and periods), ``segment``
(jieba in ``mapInArrow``), ``words``, ``hotspots``, ``wordcloud``, ``build`` (end to end).
"""
